"""Why Prodigy and D-Adaptation leave optax by up to 4e-5 after update 40: XLA's sum order.

A float32 model of optax 0.2.8's `contrib.prodigy` and `contrib.dadapt_adamw` (numpy, every
operation rounded to float32 in optax's order, Python scalars taken as weak float32), whose
only choice is how the sums over the parameters are taken:

- `xla`: as jax 0.10.2's XLA on CPU compiles them for this fixture's shapes (read from the
  optimized HLO): `jnp.sum` over a tensor whose every axis is under 32 elements adds in order,
  in float32; `optax.tree.vdot` of the 6x10 `w` rounds the 60 products, pads them with 2 zeros
  at each end and sums 2 windows of 32 in order, then the 2 partial sums; of the 10-element `b`
  it accumulates fused multiply-adds in order.
- `exact`: each sum in float64, rounded once, of the float32 products (what stepsize's engine
  does: `ops.sum(ops.mul(a, b))`).

With `xla` the model reproduces optax's trajectories in
packages/conformance/fixtures/reference-optimizer-trajectories.json bit for bit over all 60
updates; with `exact` it leaves them as stepsize's backends do. XLA's order is the compiler's,
not optax's (a reshape changes it), so stepsize does not copy it.

    /usr/bin/python3 tooling/goldens/optax_reduction_order.py   # exit status 1 unless `xla` is bit-exact
"""

import json
import math
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "packages" / "conformance" / "fixtures" / "reference-optimizer-trajectories.json"
f32 = np.float32
f64 = np.float64
WINDOW = 32


def in_order(x):
    total = f32(0)
    for value in np.asarray(x, f32).ravel():
        total = f32(total + value)
    return total


def xla_sum(x):
    if max(x.shape) >= WINDOW:
        raise SystemExit("the model covers sums whose every axis is under 32 elements")
    return in_order(x)


def xla_vdot(a, b):
    a = a.ravel()
    b = b.ravel()
    n = len(a)
    if n < WINDOW:
        total = f32(0)
        for x, y in zip(a, b):
            total = f32(f64(x) * f64(y) + f64(total))  # exact product, one rounding: a fused multiply-add
        return total
    products = (a * b).astype(f32)
    padded = -(-n // WINDOW) * WINDOW
    left = (padded - n) // 2
    values = np.concatenate([np.zeros(left, f32), products, np.zeros(padded - n - left, f32)])
    return in_order(np.array([in_order(values[i : i + WINDOW]) for i in range(0, padded, WINDOW)], f32))


def exact_sum(x):
    return f32(np.sum(np.asarray(x, f64)))


def exact_vdot(a, b):
    return exact_sum((a * b).astype(f32))


def integer_power(x, n):
    """jax's lax.integer_pow in float32 (binary exponentiation), as the eager update takes `b ** count`."""
    result = None
    square = f32(x)
    while n > 0:
        if n & 1:
            result = square if result is None else f32(result * square)
        n >>= 1
        if n:
            square = f32(square * square)
    return f32(1) if result is None else result


def rate_correction(b1, b2, count):
    return f32(f32(np.sqrt(f32(1 - integer_power(b2, count)))) / f32(1 - integer_power(b1, count)))


def zeros(tree):
    return {k: np.zeros_like(x) for k, x in tree.items()}


def over_leaves(tree, term):
    """optax's tree sums: 0 + the first leaf's + the next's ..., leaves in sorted key order, in float32."""
    result = f32(0)
    for k in sorted(tree):
        result = f32(result + term(k))
    return result


def prodigy(case, total, dot):
    o = case["options"]
    lr, (b1, b2), wd = o["learning_rate"], o["betas"], o.get("weight_decay", 0.0)
    eps, d0, coef = o.get("eps", 1e-8), o.get("estim_lr0", 1e-6), o.get("estim_lr_coef", 1.0)
    b3 = f32(math.sqrt(b2))
    p0 = params(case)
    p = {k: v.copy() for k, v in p0.items()}
    m, v, s = zeros(p), zeros(p), zeros(p)
    d, numerator = f32(d0), f32(0)
    for t, g in enumerate(gradients(case)):
        dlr = f32(f32(d * f32(lr)) * rate_correction(b1, b2, t + 1))
        dg = {k: (d * g[k]).astype(f32) for k in p}
        acc = over_leaves(p, lambda k: dot(g[k], (p0[k] - p[k]).astype(f32)))
        m = {k: (f32(b1) * m[k] + f32(1 - b1) * dg[k]).astype(f32) for k in p}
        v = {k: (f32(b2) * v[k] + (f32(1 - b2) * dg[k]).astype(f32) * dg[k]).astype(f32) for k in p}
        s = {k: (b3 * s[k] + ((dlr * dg[k]).astype(f32) / f32(d0)).astype(f32)).astype(f32) for k in p}
        numerator = f32(f32(b3 * numerator) + f32(f32(f32(d / f32(d0)) * dlr) * acc))
        l1 = over_leaves(s, lambda k: total(np.abs(s[k])))
        d = max(d, f32(f32(f32(coef) * numerator) / l1))
        for k in p:
            step = ((dlr * m[k]).astype(f32) / (np.sqrt(v[k]) + f32(d * f32(eps))).astype(f32)).astype(f32)
            p[k] = (p[k] + (((f32(-wd) * dlr) * p[k]).astype(f32) - step).astype(f32)).astype(f32)
        yield p


def dadapt_adamw(case, total, dot):
    o = case["options"]
    lr, (b1, b2), wd = o["learning_rate"], o["betas"], o.get("weight_decay", 0.0)
    eps, d0 = o.get("eps", 1e-8), o.get("estim_lr0", 1e-6)
    sb2 = math.sqrt(b2)
    p = params(case)
    m, v, s = zeros(p), zeros(p), zeros(p)
    d, numerator = f32(d0), f32(0)
    for t, g in enumerate(gradients(case)):
        dlr = f32(f32(d * f32(lr)) * rate_correction(b1, b2, t + 1))
        weighted = {k: (s[k] / (np.sqrt(v[k]) + f32(eps)).astype(f32)).astype(f32) for k in p}
        acc = over_leaves(p, lambda k: dot(g[k], weighted[k]))
        m = {k: (f32(b1) * m[k] + (f32(f32(1 - b1) * dlr) * g[k]).astype(f32)).astype(f32) for k in p}
        v = {k: (f32(b2) * v[k] + (f32(1 - b2) * g[k]).astype(f32) * g[k]).astype(f32) for k in p}
        s = {k: (f32(sb2) * s[k] + (f32(f32(1 - sb2) * dlr) * g[k]).astype(f32)).astype(f32) for k in p}
        l1 = over_leaves(s, lambda k: total(np.abs(s[k])))
        numerator = f32(f32(f32(sb2) * numerator) + f32(f32(f32(1 - sb2) * dlr) * acc))
        d = max(d, f32(numerator / f32(f32(1 - sb2) * l1)))
        for k in p:
            step = (m[k] / (np.sqrt(v[k]) + f32(eps)).astype(f32)).astype(f32)
            p[k] = (p[k] + (((f32(-wd) * dlr) * p[k]).astype(f32) - step).astype(f32)).astype(f32)
        yield p


def params(case):
    return {k: np.array(t["values"], f32).reshape(t["shape"]) for k, t in case["params"].items()}


def gradients(case):
    shapes = {k: t["shape"] for k, t in case["params"].items()}
    return [{k: np.array(g[k], f32).reshape(shapes[k]) for k in shapes} for g in case["gradients"]]


def compare(case, trajectory):
    """(updates equal bit for bit, worst scale-aware relative error as the conformance suite measures it)."""
    equal, worst = 0, 0.0
    for t, p in enumerate(trajectory):
        same = True
        for k, actual in p.items():
            expected = np.array(case["trajectory"][t][k], f64)
            same = same and np.array_equal(actual.ravel(), expected.astype(f32))
            scale = np.max(np.abs(expected))
            worst = max(worst, float(np.max(np.abs(actual.ravel() - expected) / np.maximum(np.abs(expected), scale / 100))))
        if same and equal == t:
            equal += 1
    return equal, worst


def main():
    cases = {c["name"]: c for c in json.loads(FIXTURE.read_text())["cases"]}
    ok = True
    for name, model in (("prodigy", prodigy), ("dadapt_adamw", dadapt_adamw)):
        case = cases[name]
        updates = len(case["gradients"])
        for order, total, dot in (("xla", xla_sum, xla_vdot), ("exact", exact_sum, exact_vdot)):
            equal, worst = compare(case, model(case, total, dot))
            print(f"{name:13s} {order:6s} sums: {equal} of {updates} updates bit for bit, worst relative error {worst:.2e}")
            if order == "xla" and equal != updates:
                ok = False
    if not ok:
        raise SystemExit("the XLA-order model does not reproduce optax bit for bit")


if __name__ == "__main__":
    sys.exit(main())
