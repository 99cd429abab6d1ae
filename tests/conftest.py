import matplotlib

matplotlib.use("Agg")

# ---------------------------------------------------------------- Hypothesis profiles (tests/test_properties.py)
# "ci" (the default): about 50 examples per property, no deadline (solver calls vary in time with
# the machine's load), derandomized so that every CI run tests the same examples: a red build is
# reproducible, and a green one is not a lucky draw that the next run can contradict without any
# code change (and CI keeps no example database to replay from, so none is written).
# "thorough": 500 fresh random examples, for local bug hunts: HYPOTHESIS_PROFILE=thorough pytest ...
try:
    import os

    from hypothesis import HealthCheck, Phase, settings
except ImportError:  # hypothesis is in the test extra; other test files do not need it
    pass
else:
    # no "explain" phase in CI: it re-runs every failing example many times to say which parts vary
    settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True, database=None,
                              print_blob=True, suppress_health_check=[HealthCheck.too_slow],
                              phases=[p for p in Phase if p.name != "explain"])
    settings.register_profile("thorough", max_examples=500, deadline=None, print_blob=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
