"""
Classification on the breast cancer data: a convex two-layer network against logistic regression and an MLP
===========================================================================================================

scikit-learn's Wisconsin breast cancer data
(:func:`sklearn.datasets.load_breast_cancer`, :math:`n = 569` tumours,
:math:`d = 30` features, two classes: malignant and benign). Three
classifiers, each after a :class:`~sklearn.preprocessing.StandardScaler`
in a pipeline, scored by the same stratified 5-fold cross-validation
(``StratifiedKFold(5, shuffle=True, random_state=0)``) on the held-out
accuracy and log-loss:

* :class:`solvers.estimators.ConvexNetClassifierCV`: a ReLU network of any
  width trained by its convex program, the logistic variation-norm ERM
  :math:`\\min_\\nu \\frac1n\\sum_i\\log(1 + e^{-y_if(x_i;\\nu)}) +
  \\lambda\\lVert\\nu\\rVert_{TV}` on lifted inputs :math:`(x, 1)` (Berthier
  2018, eq. 8), :math:`\\lambda` chosen by an inner 3-fold cross-validation
  on the log-loss (``scoring="neg_log_loss"``) along a warm-started path;
* :class:`sklearn.linear_model.LogisticRegressionCV` (L2 penalty, its
  default 10 values of ``C`` and 5 folds, chosen by log-loss too);
* :class:`sklearn.neural_network.MLPClassifier`, 100 hidden ReLU units, Adam
  with scikit-learn's defaults (weight decay ``alpha=1e-4``; training stops
  when the training loss stalls, at most 2000 epochs). Early stopping on a
  validation split, which suits the diabetes regression, stopped here after
  about 15 epochs, on a validation accuracy that saturates, and underfit.

**Settings of the convex network.** The lifted directions live on
:math:`\\mathbb{S}^{30}` (:math:`D = 31 >`
:data:`~solvers.estimators.AUTO_SFW_MAX_DIM`), so ``solver="auto"`` solves
the L1-penalized logistic regression on a grid of 1000 directions (celer)
and certifies its gap on that grid (``gap_scope_ == "grid"``). The path has
12 regs from :math:`\\lambda_{\\max}` down to :math:`3\\cdot
10^{-3}\\lambda_{\\max}`; below that the fits approach separation of the
training data and each point costs seconds to tens of seconds.

What to look at: in the first table, the three models' accuracy and
log-loss against their fold-to-fold spread; in the second, the width the
convex network chose in each fold (an output of the convex program, not a
hyperparameter) and the certified gap of its refit.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from solvers.estimators import AUTO_SFW_MAX_DIM, ConvexNetClassifierCV

data = load_breast_cancer()
X, y = data.data, data.target
print(f"breast cancer: n = {X.shape[0]}, d = {X.shape[1]}, classes "
      + ", ".join(f"{name} {np.sum(y == k)}" for k, name in enumerate(data.target_names))
      + f"; lifted dimension D = {X.shape[1] + 1} > AUTO_SFW_MAX_DIM = {AUTO_SFW_MAX_DIM}")

# scikit-learn >= 1.9 warns unless these two are given (their defaults change in 1.10); older
# versions do not have them.
logistic_options = ({"l1_ratios": (0.0,), "use_legacy_attributes": False}
                    if "use_legacy_attributes" in LogisticRegressionCV().get_params() else {})
models = {
    "ConvexNetClassifierCV": make_pipeline(StandardScaler(), ConvexNetClassifierCV(
        n_regs=12, eps=3e-3, cv=3, grid=1000, scoring="neg_log_loss", random_state=0)),
    "LogisticRegressionCV": make_pipeline(StandardScaler(), LogisticRegressionCV(
        scoring="neg_log_loss", **logistic_options)),
    "MLPClassifier": make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(100,), max_iter=2000, random_state=0)),
}

outer = StratifiedKFold(5, shuffle=True, random_state=0)
scores = {}
start = time.perf_counter()
for name, model in models.items():
    scores[name] = cross_validate(model, X, y, cv=outer, scoring=["accuracy", "neg_log_loss"],
                                  return_estimator=True)
print(f"cross-validation of the three models: {time.perf_counter() - start:.1f} s")

# %%
# Held-out accuracy and log-loss (mean and standard deviation over the 5
# outer folds; lower log-loss is better) and the mean fit time per fold.
print(f"{'model':<22} {'accuracy':>8} {'+- std':>7} {'log-loss':>9} {'+- std':>7} {'fit time':>9}")
for name, cv in scores.items():
    loss = -cv["test_neg_log_loss"]
    print(f"{name:<22} {cv['test_accuracy'].mean():8.4f} {cv['test_accuracy'].std():7.4f} "
          f"{loss.mean():9.4f} {loss.std():7.4f} {cv['fit_time'].mean():8.2f}s")

# %%
# The convex network in each outer fold: the reg chosen by its inner
# cross-validation (also as a fraction of the fold's
# :math:`\lambda_{\max}`), the width of the refit at that reg on the whole
# training fold, and its certified gap on the grid.
convex_fits = [est[-1] for est in scores["ConvexNetClassifierCV"]["estimator"]]
print(f"{'fold':>4} {'accuracy':>8} {'log-loss':>8} {'reg_':>9} {'reg_/reg_max':>12} {'n_neurons_':>10} "
      f"{'dual_gap_':>10} {'relative_gap_':>13} {'gap_scope_':>10} {'status_':>8}")
cv = scores["ConvexNetClassifierCV"]
for k, fit in enumerate(convex_fits):
    print(f"{k:>4} {cv['test_accuracy'][k]:8.4f} {-cv['test_neg_log_loss'][k]:8.4f} {fit.reg_:9.2e} "
          f"{fit.reg_ / fit.regs_[0]:12.4f} {fit.n_neurons_:10d} {fit.dual_gap_:10.2e} "
          f"{fit.relative_gap_:13.2e} {fit.gap_scope_:>10} {str(fit.status_):>8}")

# %%
# Left and middle: held-out accuracy and log-loss of each model (error bars:
# standard deviation over the outer folds). Right: the inner
# cross-validation curve of the convex network in each outer fold, held-out
# log-loss against reg (``regs_`` against ``-cv_scores_.mean(axis=1)``),
# the chosen ``reg_`` marked and labelled with the width of the refit there
# (``n_neurons_``).
names = list(scores)
colors = ["tab:red", "tab:blue", "tab:purple"]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
for ax, key, label in ((axes[0], "test_accuracy", "held-out accuracy"),
                       (axes[1], "test_neg_log_loss", "held-out log-loss")):
    sign = -1.0 if key == "test_neg_log_loss" else 1.0
    values = [sign * scores[n][key] for n in names]
    ax.bar(range(len(names)), [v.mean() for v in values], yerr=[v.std() for v in values], capsize=4,
           color=colors)
    ax.set_xticks(range(len(names)), [n.replace("CV", "\nCV").replace("Classifier", "\nClassifier")
                                      for n in names], fontsize=8)
    ax.set_ylabel(label)
axes[0].set_ylim(0.9, 1.0)
ax = axes[2]
for k, fit in enumerate(convex_fits):
    curve = -fit.cv_scores_.mean(axis=1)
    best = int(np.argmax(fit.regs_ == fit.reg_))
    (line,) = ax.plot(fit.regs_, curve, "-", lw=1, label=f"outer fold {k}")
    ax.plot(fit.reg_, curve[best], "o", color=line.get_color())
    ax.annotate(f"{fit.n_neurons_}", (fit.reg_, curve[best]), textcoords="offset points", xytext=(3, 4),
                fontsize=7, color=line.get_color())
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel(r"reg $\lambda$")
ax.set_ylabel("inner-CV log-loss")
ax.set_title("ConvexNetClassifierCV: CV curves,\nchosen reg_ (dots, labelled with n_neurons_)", fontsize=9)
ax.legend(fontsize=7)
plt.show()
