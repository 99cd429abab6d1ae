import numpy as np
import pytest

import measureopt as mo

ACTS = [mo.ReLU(), mo.ReLUPower(2), mo.ReLUPower(3.5), mo.Sigmoid(), mo.Tanh(), mo.Softplus(2.0)]


@pytest.mark.parametrize("act", ACTS, ids=repr)
def test_derivative_matches_finite_differences(act):
    u = np.linspace(-3, 3, 60).reshape(3, -1) + 0.013  # avoid the kink at 0
    h = 1e-6
    fd = (act(u + h) - act(u - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(u), fd, rtol=1e-6, atol=1e-8)
    assert act(u).shape == u.shape


def test_closed_forms():
    u = np.array([-2.0, 0.0, 1.5])
    np.testing.assert_allclose(mo.ReLU()(u), [0, 0, 1.5])
    np.testing.assert_allclose(mo.ReLU().derivative(u), [0, 1, 1])  # 1{u >= 0}
    np.testing.assert_allclose(mo.get_activation("step")(u), [0, 0, 1])
    np.testing.assert_allclose(mo.get_activation("squared_relu")(u), [0, 0, 2.25])
    np.testing.assert_allclose(mo.Sigmoid()(0.0), 0.5)
    np.testing.assert_allclose(mo.Softplus()(0.0), np.log(2))
    np.testing.assert_allclose(mo.Softplus(50.0)(u), mo.ReLU()(u), atol=0.02)


def test_homogeneity_degree():
    assert mo.ReLU().degree == 1
    assert mo.ReLUPower(2).degree == 2.0
    assert mo.Tanh().degree is None
    u = np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(mo.ReLUPower(2)(3 * u), 9 * mo.ReLUPower(2)(u))


def test_bad_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        mo.get_activation("gelu")
    with pytest.raises(TypeError, match="activation"):
        mo.get_activation(3)
    with pytest.raises(ValueError, match="alpha"):
        mo.ReLUPower(0.5)
    with pytest.raises(ValueError, match="beta"):
        mo.Softplus(-1.0)
