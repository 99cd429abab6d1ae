r"""Kernels at infinite and finite width: random features, F2 and the arc-cosine family.

Random features, F2, the arc-cosine family and the NTK of Fang, Dong &
Zhang's two-layer model (:func:`ntk_kernels`). Plain functions from arrays to arrays, each with its normalization in its
docstring (Fang, Dong & Zhang, Sec. III; Berthier 2018, Prop. 2.1; Cho &
Saul 2009). The shared engine for activations without a closed form is
:func:`gaussian_pair_expectation`.
"""

from ._empirical import empirical_ntk
from ._gauss import gaussian_pair_expectation
from ._ntk import ntk_kernels, ntk_kernels_finite
from ._random_features import J_ARCCOS, arccos_kernel, f2_kernel, random_feature_kernel, rf_kernel_inf

__all__ = ["gaussian_pair_expectation", "arccos_kernel", "f2_kernel", "random_feature_kernel", "rf_kernel_inf",
           "J_ARCCOS", "ntk_kernels", "ntk_kernels_finite", "empirical_ntk"]
