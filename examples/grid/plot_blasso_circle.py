"""
BLASSO on the circle: grid solution, certificate and teacher recovery
=====================================================================

Teacher-student data in dimension :math:`d = 2` (Akiyama & Suzuki 2021,
Fig. 1 setting: two orthonormal teacher units with unit weights, inputs
uniform on the circle). We solve BLASSO (eq. 8) on a grid of directions with
:class:`solvers.GridConvex`, check the optimality condition (eq. 10) on the
certificate, and compare the solution with the teacher.

**Paper's claim** (Theorem 3.5): for small :math:`\\lambda` the optimal
measure has :math:`m` atoms close to the teacher's. **What the run shows**:
the gridded optimum concentrates its mass on the grid points next to the two
teacher directions, with a certificate that stays in :math:`[-1, 1]` and
touches :math:`\\pm 1` at the atoms.
"""

import matplotlib.pyplot as plt
import numpy as np

import measureopt as mo
import measureopt.plot as moplot
import solvers

data = mo.teacher_student(n=100, d=2, m=2, seed=0)
prob = mo.BLASSO(data.X, data.y, reg=1e-3)
res = solvers.GridConvex(grid=720).solve(prob)
print(res)

# %%
# The certificate is bounded by one on the grid and equals the sign of the
# weight on the support: the gridded problem is solved (gap below).
grid = mo.sphere_grid(2, 720, seed=0)
eta = prob.certificate(res.measure, grid)
print(f"max |eta| on the grid: {np.abs(eta).max():.8f}")
print(f"gridded duality gap:   {res.dual_gap:.2e}")

# %%
# Distances to the teacher (geodesic, radians).
details = mo.wasserstein_details(res.measure, data.teacher, p=2)
print(f"W2 to teacher:   {details.distance:.4f}")
print(f"W_inf to teacher: {mo.wasserstein(res.measure, data.teacher, p=np.inf):.4f}")
print(f"mass (solution, teacher): {details.mass_positive} positive, {details.mass_negative} negative")

fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
moplot.plot_measure(res.measure, ax=axes[0], teacher=data.teacher)
moplot.plot_certificate(prob, res.measure, ax=axes[1])
plt.show()
