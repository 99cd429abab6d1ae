"""
Regression on the diabetes data: a convex two-layer network against ridge, kernel ridge and an MLP
==================================================================================================

scikit-learn's diabetes data (:func:`sklearn.datasets.load_diabetes`,
:math:`n = 442` patients, :math:`d = 10` centred and scaled clinical features,
target: disease progression after one year, about :math:`150 \\pm 77`).
Four regressors, all inside a scikit-learn pipeline that standardizes
:math:`X`, scored by the same 5-fold cross-validation
(``KFold(5, shuffle=True, random_state=0)``, :math:`R^2` on the held-out
fold):

* :class:`solvers.estimators.ConvexNetRegressorCV`: a ReLU network of any
  width trained by its convex program, the variation-norm ERM
  :math:`\\min_\\nu \\frac{1}{2n}\\sum_i (y_i - f(x_i;\\nu))^2 +
  \\lambda\\lVert\\nu\\rVert_{TV}` on lifted inputs :math:`(x, 1)` (Berthier
  2018, eq. 8), with :math:`\\lambda` chosen by an inner 3-fold
  cross-validation along a warm-started path, as
  :class:`sklearn.linear_model.LassoCV` does. Its width is an output: the
  number of atoms of the solution (``n_neurons_``);
* :class:`sklearn.linear_model.RidgeCV` (linear, leave-one-out over 13
  alphas);
* :class:`sklearn.kernel_ridge.KernelRidge` with the RBF kernel, alpha and
  gamma tuned by :class:`sklearn.model_selection.GridSearchCV` (3 folds);
* :class:`sklearn.neural_network.MLPRegressor`, 100 hidden ReLU units,
  Adam with early stopping on 10% of the training fold.

The target is standardized inside each training fold
(:class:`sklearn.compose.TransformedTargetRegressor` with a
:class:`~sklearn.preprocessing.StandardScaler`) for the three models that
have no free intercept or that train poorly on targets of scale 150: the
convex network (a constant must be paid for in total variation), kernel
ridge (no intercept) and the MLP. Ridge fits its own intercept and is
left as is. The convex network's objective and gap are therefore in units
of the standardized target (variance 1).

**Settings of the convex network.** With lifted inputs the neurons'
directions live on :math:`\\mathbb{S}^{10}` (:math:`D = 11`), above
:data:`~solvers.estimators.AUTO_SFW_MAX_DIM`, so ``solver="auto"`` solves
the problem restricted to a grid of 2000 directions (a LASSO, with celer),
and its gap is certified on that grid (``gap_scope_ == "grid"``): in this
dimension the certificates over the whole sphere are too loose to stop on.
The path has 15 regs from :math:`\\lambda_{\\max}` down to
:math:`10^{-2}\\lambda_{\\max}` (``eps=1e-2``; the default ``1e-3`` reaches
a near-interpolating regime where the grid LASSO takes over a minute per
point, far below the regs of best held-out score), with ``cv=3`` inner
folds.

What to look at: the mean :math:`R^2` of the four models in the first table
(their differences against the fold-to-fold standard deviations), and in the
second table how many neurons the convex network chose in each outer fold,
at which fraction of :math:`\\lambda_{\\max}`, and its certified gap.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from solvers.estimators import AUTO_SFW_MAX_DIM, ConvexNetRegressorCV

X, y = load_diabetes(return_X_y=True)
print(f"diabetes: n = {X.shape[0]}, d = {X.shape[1]}, y = {y.mean():.1f} +- {y.std():.1f}; "
      f"lifted dimension D = {X.shape[1] + 1} > AUTO_SFW_MAX_DIM = {AUTO_SFW_MAX_DIM}")


def standardized_target(model):
    """``model`` fitted on the standardized target; predictions back in the original units."""
    return TransformedTargetRegressor(regressor=model, transformer=StandardScaler())


models = {
    "ConvexNetRegressorCV": standardized_target(make_pipeline(
        StandardScaler(), ConvexNetRegressorCV(n_regs=15, eps=1e-2, cv=3, grid=2000, random_state=0))),
    "RidgeCV": make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13))),
    "KernelRidge (RBF)": standardized_target(make_pipeline(StandardScaler(), GridSearchCV(
        KernelRidge(kernel="rbf"), {"alpha": np.logspace(-3, 1, 5), "gamma": np.logspace(-4, -1, 4)}, cv=3))),
    "MLPRegressor": standardized_target(make_pipeline(StandardScaler(), MLPRegressor(
        hidden_layer_sizes=(100,), early_stopping=True, max_iter=2000, random_state=0))),
}

outer = KFold(5, shuffle=True, random_state=0)
scores = {}
start = time.perf_counter()
for name, model in models.items():
    scores[name] = cross_validate(model, X, y, cv=outer, scoring="r2", return_estimator=True)
print(f"cross-validation of the four models: {time.perf_counter() - start:.1f} s")

# %%
# Held-out :math:`R^2` (mean and standard deviation over the 5 outer folds)
# and the mean fit time per fold.
print(f"{'model':<22} {'R2 mean':>8} {'+- std':>7} {'fit time':>9}")
for name, cv in scores.items():
    print(f"{name:<22} {cv['test_score'].mean():8.3f} {cv['test_score'].std():7.3f} "
          f"{cv['fit_time'].mean():8.2f}s")

# %%
# The convex network in each outer fold: the reg chosen by its inner
# cross-validation (also as a fraction of the fold's
# :math:`\lambda_{\max}`, the first reg of its path), the width of the
# solution refitted at that reg on the whole training fold, and the
# certified gap of that refit: ``dual_gap_`` bounds
# :math:`J(\nu) - J^\star` over all networks whose neurons lie on the grid.
convex_fits = [est.regressor_[-1] for est in scores["ConvexNetRegressorCV"]["estimator"]]
print(f"{'fold':>4} {'R2':>6} {'reg_':>9} {'reg_/reg_max':>12} {'n_neurons_':>10} {'dual_gap_':>10} "
      f"{'relative_gap_':>13} {'gap_scope_':>10} {'status_':>8}")
for k, (fit, r2) in enumerate(zip(convex_fits, scores["ConvexNetRegressorCV"]["test_score"])):
    print(f"{k:>4} {r2:6.3f} {fit.reg_:9.4f} {fit.reg_ / fit.regs_[0]:12.3f} {fit.n_neurons_:10d} "
          f"{fit.dual_gap_:10.2e} {fit.relative_gap_:13.2e} {fit.gap_scope_:>10} {str(fit.status_):>8}")

# %%
# Left: the held-out :math:`R^2` of each model, its error bar the standard
# deviation over the outer folds. Right: the inner cross-validation curve of
# the convex network in each outer fold (mean :math:`R^2` over the 3 inner
# folds against reg, ``regs_`` against ``cv_scores_.mean(axis=1)``), the
# chosen ``reg_`` marked. Large regs give few neurons and underfit; small
# regs many neurons and overfit; the curve is flat near its top.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
names = list(scores)
means = [scores[n]["test_score"].mean() for n in names]
stds = [scores[n]["test_score"].std() for n in names]
left.bar(range(len(names)), means, yerr=stds, capsize=4,
         color=["tab:red", "tab:blue", "tab:green", "tab:purple"])
left.set_xticks(range(len(names)), [n.replace(" ", "\n") for n in names], fontsize=8)
left.set_ylabel("held-out $R^2$ (5-fold CV)")
left.set_ylim(0, 0.7)
for k, fit in enumerate(convex_fits):
    curve = fit.cv_scores_.mean(axis=1)
    (line,) = right.plot(fit.regs_, curve, "-", lw=1, label=f"outer fold {k}")
    right.plot(fit.reg_, curve[np.argmax(fit.regs_ == fit.reg_)], "o", color=line.get_color())
right.set_xscale("log")
right.set_xlabel(r"reg $\lambda$ (standardized target)")
right.set_ylabel("inner-CV mean $R^2$")
right.set_title("ConvexNetRegressorCV: CV curves, chosen reg_ (dots)", fontsize=10)
right.legend(fontsize=8)
plt.show()
