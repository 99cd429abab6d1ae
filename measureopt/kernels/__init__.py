r"""Kernels at infinite and finite width: random features, F2 and the arc-cosine family.

Random features, F2, the arc-cosine family and the NTK of Fang, Dong &
Zhang's two-layer model (:func:`ntk_kernels`). Plain functions from arrays to arrays, each with its normalization in its
docstring (Fang, Dong & Zhang, Sec. III; Berthier 2018, Prop. 2.1; Cho &
Saul 2009). The shared engine for activations without a closed form is
:func:`gaussian_pair_expectation`.

The Gram matrices :math:`K^{(H)}` of Du et al. (2019) for deep fully
connected networks, ResNets (:func:`du_gram`) and convolutional ResNets
(:func:`du_gram_conv`), their normalization :func:`c_sigma`, the rate
:func:`predicted_rate` from :func:`lambda_min`, and the finite-width Gram
:func:`du_gram_finite` of the networks :func:`du_network_init` /
:func:`du_forward` that converges to them.
"""

from ._du import c_sigma, du_gram, du_gram_conv, lambda_min, predicted_rate
from ._du_finite import du_forward, du_gram_finite, du_network_init
from ._empirical import empirical_ntk
from ._gauss import gaussian_pair_expectation
from ._ntk import ntk_kernels, ntk_kernels_finite
from ._random_features import J_ARCCOS, arccos_kernel, f2_kernel, random_feature_kernel, rf_kernel_inf

__all__ = ["gaussian_pair_expectation", "arccos_kernel", "f2_kernel", "random_feature_kernel", "rf_kernel_inf",
           "J_ARCCOS", "ntk_kernels", "ntk_kernels_finite", "empirical_ntk", "c_sigma", "du_gram", "du_gram_conv",
           "lambda_min", "predicted_rate", "du_network_init", "du_forward", "du_gram_finite"]
