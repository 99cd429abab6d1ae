r"""Particle gradient descent: the papers' gradient methods on two-layer networks.

The network :math:`f(x) = s\sum_{j=1}^M a_j\sigma(\langle w_j, x\rangle)` is a
measure :math:`\nu = s\sum_j a_j\lVert w_j\rVert\delta_{w_j/\lVert w_j\rVert}`
(:func:`measureopt.network_measure`), and its objective

.. math::

    F(a, W) = \frac1n\sum_{i=1}^n\ell\bigl(f(x_i), y_i\bigr) + \text{penalty}
    \ \ge\ J(\nu)

(:math:`\ell` the problem's loss, squared or logistic) never falls below the
objective of its measure in the penalized form, with the same minimum
(Akiyama & Suzuki, 2021, eq. 4-8; Berthier 2018, eq. 9). The solvers here move the
particles :math:`(a_j, w_j)` by gradient steps and return the measure, so
every result can be checked against the convex optimum.

One loop (:class:`ParticleSolver`, ``_base.py``) runs every method; a method
(``_methods.py``) is a step rule with ``init`` and ``update`` (``_rules.py``,
the optax/jaxopt pattern) on the torch model of ``_model.py``:

============================  =================================================
:class:`NormDependentGD`      Akiyama & Suzuki (2021), Algorithm 1, eq. (11), (13)
:class:`ParticleGD`           Chizat & Bach (2018), Berthier et al. (Sec. 4.3, 5)
:class:`NoisyParticleGD`      Fang, Dong & Zhang (Sec. V): noise = entropy
:class:`ConicParticleGD`      Chizat (2022): mirror step on the weights
============================  =================================================

Torch runs inside (``device``, ``dtype``); results hold NumPy arrays.
"""

from ._base import ParticleSolver
from ._methods import ConicParticleGD, NoisyParticleGD, NormDependentGD, ParticleGD
from ._rules import ConicStep, MeanFieldStep, NormDependentStep

__all__ = [
    "ParticleSolver",
    "NormDependentGD",
    "ParticleGD",
    "NoisyParticleGD",
    "ConicParticleGD",
    "NormDependentStep",
    "MeanFieldStep",
    "ConicStep",
]
