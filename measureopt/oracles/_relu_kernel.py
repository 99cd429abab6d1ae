r"""Compiled ReLU cap bounds for :class:`~measureopt.oracles.BranchAndBound` (Numba, optional).

The same bound as :func:`measureopt.oracles._branch_and_bound._relu_cap_bounds`,
one cap per loop iteration instead of a sparse list of crossing terms: the
NumPy version spends most of its time on ~50 array passes over that list
(about 0.3 us per crossing term); here each term is touched a few times, in
parallel over caps. Ties between equally wide crossing terms may be broken
differently, so the two bounds can differ where they tie; both are valid.
"""

import functools
import importlib.util

import numpy as np

__all__ = ["HAVE_NUMBA", "relu_cap_bounds_compiled"]

#: Numba comes with the "fast" extra; it is imported (about 0.3 s) and the kernel compiled at first use only.
HAVE_NUMBA = importlib.util.find_spec("numba") is not None


def _kernel(X, q, centers, U, cos_rho, sin_rho, edge_scale, xnorm, k_enum, alive, value_out, bound_out):
    B, D = centers.shape
    n = X.shape[0]
    tiny = np.finfo(np.float64).tiny
    for b in range(B):
        c = centers[b]
        u = U[b]
        cr, sr = cos_rho[b], sin_rho[b]
        # the value at the centre, and the active terms (linear on the cap)
        value = 0.0
        G_active = np.zeros(D)
        for i in range(n):
            if u[i] > 0.0:
                value += q[i] * u[i]
                if xnorm[i] > 0.0 and u[i] >= xnorm[i] * edge_scale[b]:
                    for j in range(D):
                        G_active[j] += q[i] * X[i, j]
        value_out[b] = value / n
        # the crossing terms: index, secant slope and offset, weight |q_i| (hi - lo)
        idx = np.empty(n, dtype=np.int64)
        sec = np.empty(n)
        off = np.empty(n)
        wgt = np.empty(n)
        m = 0
        for i in range(n):
            xi = xnorm[i]
            edge = xi * edge_scale[b]
            if xi > 0.0 and abs(u[i]) < edge:
                w = np.sqrt(max(xi * xi - u[i] * u[i], 0.0))
                hi = xi if u[i] >= xi * cr else u[i] * cr + w * sr
                lo = -xi if u[i] <= -xi * cr else u[i] * cr - w * sr
                width = max(hi - lo, tiny)
                idx[m] = i
                sec[m] = hi / width
                off[m] = -hi * lo / width
                wgt[m] = abs(q[i]) * width
                m += 1
        # the k widest crossing terms are enumerated
        k = min(k_enum, m)
        listed = np.zeros(m, dtype=np.bool_)
        top = np.empty(k, dtype=np.int64)
        for t in range(k):
            best, arg = -1.0, -1
            for e in range(m):
                if not listed[e] and wgt[e] > best:
                    best, arg = wgt[e], e
            listed[arg] = True
            top[t] = arg
        for col in range(2):
            if not alive[b, col]:
                bound_out[b, col] = -np.inf
                continue
            sign = 1.0 if col == 0 else -1.0
            G0 = sign * G_active
            const = 0.0
            for e in range(m):  # the other crossing terms: secant (convex) or tangent at the centre (concave)
                if listed[e]:
                    continue
                i = idx[e]
                qs = sign * q[i]
                if qs > 0.0:
                    a = qs * sec[e]
                    const += qs * off[e]
                elif u[i] > 0.0:
                    a = qs
                else:
                    continue
                for j in range(D):
                    G0[j] += a * X[i, j]
            size = 1 << k
            vals = np.empty(size)
            G = np.empty(D)
            for p in range(size):
                for j in range(D):
                    G[j] = G0[j]
                for t in range(k):
                    if (p >> t) & 1:
                        i = idx[top[t]]
                        a = sign * q[i]
                        for j in range(D):
                            G[j] += a * X[i, j]
                g2 = 0.0
                proj = 0.0
                for j in range(D):
                    G[j] /= n
                    g2 += G[j] * G[j]
                    proj += G[j] * c[j]
                g = np.sqrt(g2)
                cos_a = proj / g if g > 0.0 else 0.0
                cos_a = min(1.0, max(-1.0, cos_a))
                if cos_a >= cr:
                    vals[p] = g
                else:
                    vals[p] = g * (cos_a * cr + np.sqrt(1.0 - cos_a * cos_a) * sr)
            # max over the convex bits, then min over the concave ones
            for phase in range(2):
                for t in range(k):
                    convex = sign * q[idx[top[t]]] > 0.0
                    if convex != (phase == 0):
                        continue
                    bit = 1 << t
                    for p in range(size):
                        if p & bit == 0:
                            v = max(vals[p], vals[p | bit]) if phase == 0 else min(vals[p], vals[p | bit])
                            vals[p] = v
                            vals[p | bit] = v
            bound_out[b, col] = const / n + vals[0]


@functools.lru_cache(maxsize=1)
def _compiled():
    import numba

    return numba.njit(cache=True)(_kernel)


def relu_cap_bounds_compiled(X, q, centers, rho, xnorm, n_enumerate, alive):
    """Value at the cap centres and upper bounds of :math:`\\pm c_q`, shape (B, 2); see the module notes."""
    rho = np.minimum(rho, np.pi)
    cos_rho, sin_rho = np.cos(rho), np.sin(rho)
    edge_scale = np.where(rho < np.pi / 2, sin_rho, 1.0)
    value, bounds = np.empty(len(centers)), np.empty((len(centers), 2))
    _compiled()(X, q, centers, centers @ X.T, cos_rho, sin_rho, edge_scale, xnorm, int(n_enumerate), alive, value,
              bounds)
    return value, bounds
