"""Synthetic data sets from the papers."""

from dataclasses import dataclass

import numpy as np

from ._frozen import Record
from ._validation import check_array, check_int, check_positive, check_random_state
from .activations import ReLU
from .measures import DiscreteMeasure
from .sphere import sample_sphere

__all__ = ["TeacherStudentData", "teacher_student", "cosine_task"]


@dataclass(frozen=True, eq=False)
class TeacherStudentData(Record):
    r"""Samples of the teacher-student model (Akiyama & Suzuki, 2021, eq. 1-3).

    Attributes
    ----------
    X : ndarray, shape (n, d)
        Inputs, rows on the unit sphere.
    y : ndarray, shape (n,)
        Outputs :math:`f^\circ(x_i) + \varepsilon_i`.
    teacher : DiscreteMeasure
        :math:`\nu^\circ = \sum_{j=1}^m r_j^\circ \delta_{\theta_j^\circ}`.
    y_clean : ndarray, shape (n,)
        The noiseless outputs :math:`f^\circ(x_i)`.
    noise : float
        Standard deviation of the Gaussian noise.
    """

    X: np.ndarray
    y: np.ndarray
    teacher: DiscreteMeasure
    y_clean: np.ndarray
    noise: float


def teacher_student(n, d, m, seed=0, noise=0.0, weights=None):
    r"""Teacher-student regression data on the sphere.

    Follows Assumptions 3.1-3.2 of Akiyama & Suzuki (2021):

    * :math:`x_i \sim \mathrm{Unif}(\mathbb{S}^{d-1})` i.i.d. (Assumption 3.1);
    * the teacher :math:`f^\circ(x) = \sum_{j=1}^m r_j^\circ \sigma(\langle
      \theta_j^\circ, x\rangle)` with ReLU :math:`\sigma`, positive weights
      :math:`r_j^\circ > 0` and orthonormal directions
      :math:`\langle\theta_{j_1}^\circ, \theta_{j_2}^\circ\rangle = 0`
      (Assumption 3.2), drawn as a uniformly random orthonormal frame;
    * :math:`y_i = f^\circ(x_i) + \varepsilon_i` with
      :math:`\varepsilon_i \sim N(0, \text{noise}^2)` (eq. 1 has ``noise=0``).

    Parameters
    ----------
    n : int
        Number of samples, ``>= 1``.
    d : int
        Input dimension, ``>= 2``.
    m : int
        Teacher width, ``1 <= m <= d`` (orthonormality needs ``m <= d``).
    seed : None, int or numpy.random.Generator, default=0
        Random state.
    noise : float, default=0.0
        Standard deviation of the additive Gaussian noise, ``>= 0``.
    weights : array_like, shape (m,), optional
        Teacher weights :math:`r_j^\circ > 0`; all ones by default (as in the
        paper's Fig. 1).

    Returns
    -------
    TeacherStudentData

    References
    ----------
    S. Akiyama and T. Suzuki. On learnability via gradient method for two-layer
    ReLU neural networks in teacher-student setting. ICML 2021, eq. (1)-(3),
    Assumptions 3.1-3.2.

    Examples
    --------
    >>> import measureopt as mo
    >>> data = mo.teacher_student(n=50, d=3, m=2, seed=0)
    >>> data.X.shape, data.y.shape, data.teacher.n_atoms
    ((50, 3), (50,), 2)
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=2)
    m = check_int(m, "m", minimum=1)
    if m > d:
        raise ValueError(f"m must be <= d for orthonormal teacher directions; got m={m}, d={d}")
    noise = check_positive(noise, "noise", strict=False)
    if weights is None:
        weights = np.ones(m)
    else:
        weights = check_array(weights, "weights", ndim=1, shape=(m,))
        if np.any(weights <= 0):
            raise ValueError("weights must be > 0 (Assumption 3.2: a_j > 0)")
    rng = check_random_state(seed, "seed")
    q, r = np.linalg.qr(rng.standard_normal((d, m)))
    directions = (q * np.sign(np.diag(r))).T  # (m, d), orthonormal rows
    teacher = DiscreteMeasure(weights, directions)
    X = sample_sphere(d, n, seed=rng)
    y_clean = ReLU()(X @ directions.T) @ weights
    y = y_clean + noise * rng.standard_normal(n) if noise > 0 else y_clean.copy()
    return TeacherStudentData(X=X, y=y, teacher=teacher, y_clean=y_clean, noise=noise)


def cosine_task(n, seed=0):
    r"""The 1-D regression of Fang et al. (2022, Sec. VII-A): :math:`f(x) = 2(2\cos^2x - 1)^2 - 1 = \cos 4x`.

    :math:`x` is drawn uniformly on :math:`[-2\pi, 2\pi]` and sorted; the
    inputs are :math:`(x, 1)` (the bias as a constant input) and the targets
    are noiseless.

    Parameters
    ----------
    n : int
        Number of samples.
    seed : None, int or numpy.random.Generator, default=0
        A generator is advanced by ``n`` uniform draws.

    Returns
    -------
    X : ndarray, shape (n, 2)
    y : ndarray, shape (n,)
    """
    n = check_int(n, "n", minimum=1)
    x = np.sort(check_random_state(seed, "seed").uniform(-2 * np.pi, 2 * np.pi, n))
    return np.column_stack([x, np.ones(n)]), 2 * (2 * np.cos(x) ** 2 - 1) ** 2 - 1
