import numpy as np
import pytest

import measureopt as mo


def test_teacher_student_follows_assumptions():
    data = mo.teacher_student(n=500, d=6, m=4, seed=1)
    assert data.X.shape == (500, 6) and data.y.shape == (500,)
    np.testing.assert_allclose(np.linalg.norm(data.X, axis=1), 1.0, rtol=1e-12)
    S = data.teacher.support
    np.testing.assert_allclose(S @ S.T, np.eye(4), atol=1e-12)  # orthonormal
    assert np.all(data.teacher.weights > 0)
    np.testing.assert_allclose(data.y, np.maximum(data.X @ S.T, 0) @ data.teacher.weights)
    # uniform on the sphere: mean near zero, second moment I/d
    np.testing.assert_allclose(data.X.mean(axis=0), 0.0, atol=0.1)
    np.testing.assert_allclose(data.X.T @ data.X / 500, np.eye(6) / 6, atol=0.04)


def test_teacher_student_noise_and_seed():
    a = mo.teacher_student(n=4000, d=3, m=2, seed=5, noise=0.1)
    b = mo.teacher_student(n=4000, d=3, m=2, seed=5, noise=0.1)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_allclose(np.std(a.y - a.y_clean), 0.1, rtol=0.05)
    w = mo.teacher_student(n=10, d=3, m=2, seed=0, weights=[2.0, 0.5])
    np.testing.assert_allclose(w.teacher.weights, [2.0, 0.5])


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(n=10, d=3, m=4), ValueError, "m must be <= d"),
        (dict(n=0, d=3, m=2), ValueError, "n must be >= 1"),
        (dict(n=10, d=3, m=2, noise=-1.0), ValueError, "noise"),
        (dict(n=10, d=3, m=2, weights=[1.0, -1.0]), ValueError, "weights must be > 0"),
        (dict(n=10, d=3, m=2, weights=[1.0]), ValueError, "weights must have shape"),
        (dict(n=10.5, d=3, m=2), TypeError, "n must be an integer"),
    ],
)
def test_teacher_student_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        mo.teacher_student(**kwargs)


def test_cosine_task_is_fangs_one_dimensional_regression():
    X, y = mo.cosine_task(50, seed=3)
    x = X[:, 0]
    assert np.all(np.diff(x) >= 0) and np.all(np.abs(x) <= 2 * np.pi)
    np.testing.assert_array_equal(X[:, 1], 1.0)
    np.testing.assert_allclose(y, np.cos(4 * x), atol=1e-12)
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(mo.cosine_task(50, seed=rng)[0], X)  # a generator is advanced the same way
