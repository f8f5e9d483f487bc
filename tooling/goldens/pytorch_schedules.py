#!/usr/bin/python3
"""Golden-fixture generator: learning-rate schedules as computed by PyTorch.

Run from the repository root (with Debian's python3-torch, no PyPI packages):

    /usr/bin/python3 tooling/goldens/pytorch_schedules.py            # write the fixture
    /usr/bin/python3 tooling/goldens/pytorch_schedules.py --out X    # write to X instead
    /usr/bin/python3 tooling/goldens/pytorch_schedules.py --check    # verify, exit 1 on drift

By default it writes packages/core/fixtures/pytorch-schedules.json (paths are
resolved relative to the repository root, i.e. two levels above this file).
With --check nothing is written: the fixture is regenerated in memory and
compared byte-for-byte with the file on disk (or --out PATH); if they differ a
short summary of the differing cases is printed and the exit status is 1.

Every case is built fresh: one 1-element parameter, a new torch.optim.SGD over
it (lr=baseLr; momentum=0.9 when the scheduler cycles momentum, else SGD's
default), then the scheduler. lr[0] is param_groups[0]['lr'] right after the
scheduler's construction; lr[t] is the value after t calls of step()
(each preceded by optimizer.step(), which is a no-op here since no gradient
exists; it only keeps torch's step-order bookkeeping happy).

Output format (json.dumps(indent=1), floats written with Python's repr so
float64 values round-trip exactly, trailing newline):

    {
     "generator": "tooling/goldens/pytorch_schedules.py",
     "torchVersion": "...", "pythonVersion": "...",
     "note": "...",
     "cases": [
      {
       "name": "StepLR/step_size=3,gamma=0.5",   unique, descriptive
       "scheduler": "StepLR",                    torch.optim.lr_scheduler class name
       "baseLr": 0.1,                            SGD lr at construction
       "options": {...},                         kwargs exactly as passed to the class
       "children": [{"scheduler", "options", "lambda"?}, ...]
                                                 ChainedScheduler / SequentialLR only;
                                                 SequentialLR's options are {"milestones": [...]}
       "lambda": {"fn": NAME, ...params},        LambdaLR / MultiplicativeLR only (see LAMBDA_FORMS)
       "metrics": [m1, m2, ...],                 ReduceLROnPlateau only; metrics[t-1] goes to
                                                 the t-th step(metrics) call
       "steps": N,                               number of step() calls
       "lr": [N + 1 floats],
       "momentum": [N + 1 floats]                CyclicLR / OneCycleLR with cycle_momentum on:
                                                 param_groups[0]['momentum']
      }, ...
     ]
    }

Cases come from the declarative CASES table below; adding a case is one line.
"""

import argparse
import json
import math
import platform
import sys
import warnings
from pathlib import Path

import torch
from torch.optim import lr_scheduler

GENERATOR = "tooling/goldens/pytorch_schedules.py"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "packages" / "core" / "fixtures" / "pytorch-schedules.json"
NOTE = (
    "lr[t] is optimizer.param_groups[0]['lr'] after t calls of scheduler.step(); "
    "lr[0] is the value right after construction"
)

# torch warns about scheduler.step() ordering and, inside SequentialLR (which
# calls child.step(0) at milestones), about the deprecated epoch argument.
warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.optim\.lr_scheduler")

# ---------------------------------------------------------------------------
# Lambda vocabulary. Lambdas cannot be serialised, so each LambdaLR /
# MultiplicativeLR case records {"fn": NAME, ...params}; these are the exact
# Python functions used (t is the scheduler's last_epoch, an int >= 0; for
# MultiplicativeLR torch only calls it for t >= 1):
#
#   {"fn": "power", "base": b}                 lambda t: b ** t
#   {"fn": "linearWarmup", "steps": n}         lambda t: min(1.0, (t + 1) / n)
#   {"fn": "constant", "value": v}             lambda t: v
#   {"fn": "stepDecay", "every": k, "factor": f}   lambda t: f ** (t // k)
#   {"fn": "inverse", "rate": r}               lambda t: 1 / (1 + r * t)
# ---------------------------------------------------------------------------
LAMBDA_FORMS = {
    "power": lambda p: (lambda t: p["base"] ** t),
    "linearWarmup": lambda p: (lambda t: min(1.0, (t + 1) / p["steps"])),
    "constant": lambda p: (lambda t: p["value"]),
    "stepDecay": lambda p: (lambda t: p["factor"] ** (t // p["every"])),
    "inverse": lambda p: (lambda t: 1 / (1 + p["rate"] * t)),
}


def make_lambda(spec):
    params = {k: v for k, v in spec.items() if k != "fn"}
    return LAMBDA_FORMS[spec["fn"]](params)


# ---------------------------------------------------------------------------
# Case table helpers (plain data constructors; each returns a dict).
# ---------------------------------------------------------------------------
def C(scheduler, steps, baseLr=0.1, label=None, lam=None, children=None, metrics=None, **options):
    """One case. options are the kwargs passed to the scheduler class."""
    case = {"scheduler": scheduler, "baseLr": baseLr, "options": options, "steps": steps}
    if label:
        case["label"] = label
    if lam is not None:
        case["lambda"] = lam
    if children is not None:
        case["children"] = children
    if metrics is not None:
        case["metrics"] = [float(m) for m in metrics]
        assert len(case["metrics"]) == steps, (scheduler, label)
    return case


def K(scheduler, lam=None, **options):
    """A child scheduler of ChainedScheduler / SequentialLR."""
    child = {"scheduler": scheduler, "options": options}
    if lam is not None:
        child["lambda"] = lam
    return child


def L(fn, **params):
    return {"fn": fn, **params}


def rep(value, n):
    return [value] * n


def oscillate(n, start, drift, amp):
    """start - drift*i, plus amp on odd i (a noisy, slowly improving curve)."""
    return [start - drift * i + (amp if i % 2 else 0.0) for i in range(n)]


# ---------------------------------------------------------------------------
# The cases.
# ---------------------------------------------------------------------------
CASES = [
    # --- LambdaLR: lr = base_lr * f(t) -------------------------------------
    C("LambdaLR", 30, lam=L("power", base=0.95)),
    C("LambdaLR", 30, lam=L("linearWarmup", steps=5)),
    C("LambdaLR", 30, lam=L("constant", value=0.9)),
    C("LambdaLR", 30, lam=L("stepDecay", every=4, factor=0.5)),
    C("LambdaLR", 30, lam=L("inverse", rate=0.1)),
    C("LambdaLR", 25, baseLr=1.0, lam=L("power", base=1.05)),
    # --- MultiplicativeLR: lr[t] = lr[t-1] * f(t) for t >= 1 ----------------
    C("MultiplicativeLR", 30, lam=L("constant", value=0.9)),
    C("MultiplicativeLR", 30, lam=L("power", base=0.95)),
    C("MultiplicativeLR", 30, lam=L("linearWarmup", steps=5)),
    C("MultiplicativeLR", 30, lam=L("stepDecay", every=4, factor=0.5)),
    C("MultiplicativeLR", 30, lam=L("inverse", rate=0.1)),
    # --- StepLR -------------------------------------------------------------
    C("StepLR", 30, step_size=3, gamma=0.5),
    C("StepLR", 30, step_size=10),
    C("StepLR", 25, step_size=1, gamma=0.9),
    C("StepLR", 25, step_size=5, gamma=1.5),
    C("StepLR", 25, step_size=30, gamma=0.1),
    # --- MultiStepLR --------------------------------------------------------
    C("MultiStepLR", 30, milestones=[5, 10, 20]),
    C("MultiStepLR", 25, milestones=[3, 3, 8], gamma=0.5),
    C("MultiStepLR", 30, milestones=[1, 2, 3, 25], gamma=0.8),
    C("MultiStepLR", 25, milestones=[10, 100], gamma=0.5),
    # --- ConstantLR ---------------------------------------------------------
    C("ConstantLR", 25),
    C("ConstantLR", 25, factor=0.5, total_iters=4),
    C("ConstantLR", 25, factor=0.5, total_iters=0),  # torch: factor applied at t=0 and never removed
    C("ConstantLR", 25, factor=1.0, total_iters=3),
    C("ConstantLR", 30, factor=0.25, total_iters=40),
    # --- LinearLR -----------------------------------------------------------
    C("LinearLR", 25),
    C("LinearLR", 25, start_factor=0.1, end_factor=1.0, total_iters=10),
    C("LinearLR", 30, start_factor=1.0, end_factor=0.05, total_iters=20),
    C("LinearLR", 30, start_factor=0.1, total_iters=50),
    C("LinearLR", 25, start_factor=1.0, end_factor=0.0, total_iters=10),
    C("LinearLR", 25, start_factor=0.5, end_factor=0.5, total_iters=5),
    # --- ExponentialLR ------------------------------------------------------
    C("ExponentialLR", 30, gamma=0.9),
    C("ExponentialLR", 25, gamma=1.0),
    C("ExponentialLR", 30, gamma=0.5),
    C("ExponentialLR", 25, baseLr=0.001, gamma=1.1),
    # --- PolynomialLR -------------------------------------------------------
    C("PolynomialLR", 25),
    C("PolynomialLR", 30, total_iters=10, power=1.0),
    C("PolynomialLR", 30, total_iters=20, power=2.0),
    C("PolynomialLR", 30, total_iters=15, power=0.5),
    C("PolynomialLR", 25, total_iters=25, power=3.0),
    # --- CosineAnnealingLR (runs well past T_max) ---------------------------
    C("CosineAnnealingLR", 30, T_max=10),
    C("CosineAnnealingLR", 30, T_max=10, eta_min=0.001),
    C("CosineAnnealingLR", 50, T_max=7, eta_min=0.02),
    C("CosineAnnealingLR", 25, T_max=1),
    C("CosineAnnealingLR", 25, T_max=1, eta_min=0.01),
    C("CosineAnnealingLR", 25, T_max=25),
    C("CosineAnnealingLR", 25, baseLr=0.01, T_max=100, eta_min=0.001),
    # --- CosineAnnealingWarmRestarts (3+ cycles) ----------------------------
    C("CosineAnnealingWarmRestarts", 40, T_0=10),
    C("CosineAnnealingWarmRestarts", 50, T_0=3, T_mult=2),
    C("CosineAnnealingWarmRestarts", 40, T_0=2, T_mult=3),
    C("CosineAnnealingWarmRestarts", 30, T_0=5, eta_min=0.01),
    C("CosineAnnealingWarmRestarts", 50, T_0=4, T_mult=2, eta_min=0.005),
    C("CosineAnnealingWarmRestarts", 25, T_0=1),
    C("CosineAnnealingWarmRestarts", 40, T_0=1, T_mult=2, eta_min=0.001),
    # --- CyclicLR (several cycles; torch overwrites baseLr with base_lr) ----
    C("CyclicLR", 40, base_lr=0.001, max_lr=0.01, step_size_up=5),
    C("CyclicLR", 50, base_lr=0.001, max_lr=0.01, step_size_up=4, mode="triangular2"),
    C("CyclicLR", 40, base_lr=0.001, max_lr=0.01, step_size_up=5, mode="exp_range", gamma=0.95),
    C("CyclicLR", 50, base_lr=0.001, max_lr=0.01, step_size_up=3, step_size_down=7),
    C("CyclicLR", 60, base_lr=0.001, max_lr=0.05, step_size_up=4, step_size_down=6, mode="exp_range", gamma=0.99,
      scale_mode="iterations"),
    C("CyclicLR", 40, base_lr=0.001, max_lr=0.01, step_size_up=5, cycle_momentum=False),
    C("CyclicLR", 48, base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=6, mode="triangular2",
      base_momentum=0.85, max_momentum=0.95),
    # scale_mode only matters with a custom scale_fn; torch ignores it here (still per-cycle halving).
    C("CyclicLR", 40, base_lr=0.001, max_lr=0.01, step_size_up=5, mode="triangular2", scale_mode="iterations"),
    C("CyclicLR", 25, base_lr=0.001, max_lr=0.01, step_size_up=1, step_size_down=1, mode="exp_range", gamma=0.9,
      cycle_momentum=False),
    # --- OneCycleLR (steps = total_steps - 1; baseLr is ignored by torch) ---
    C("OneCycleLR", 99, max_lr=0.1, total_steps=100),
    C("OneCycleLR", 49, max_lr=0.05, total_steps=50, anneal_strategy="linear"),
    C("OneCycleLR", 59, max_lr=0.1, total_steps=60, three_phase=True),
    C("OneCycleLR", 59, max_lr=0.1, total_steps=60, three_phase=True, anneal_strategy="linear",
      pct_start=0.25),
    C("OneCycleLR", 39, max_lr=1.0, total_steps=40, div_factor=10.0, final_div_factor=100.0),
    C("OneCycleLR", 29, max_lr=0.1, total_steps=30, pct_start=0.5),
    C("OneCycleLR", 39, max_lr=0.1, epochs=5, steps_per_epoch=8),
    C("OneCycleLR", 39, max_lr=0.1, total_steps=40, base_momentum=0.7, max_momentum=0.99),
    C("OneCycleLR", 29, max_lr=0.1, total_steps=30, cycle_momentum=False),
    C("OneCycleLR", 24, max_lr=0.1, total_steps=25, pct_start=0.25),
    # --- ChainedScheduler ---------------------------------------------------
    C("ChainedScheduler", 30, children=[K("ConstantLR", factor=0.1, total_iters=3),
                                        K("ExponentialLR", gamma=0.9)]),
    C("ChainedScheduler", 30, children=[K("LinearLR", start_factor=0.1, total_iters=5),
                                        K("StepLR", step_size=10, gamma=0.5)]),
    C("ChainedScheduler", 30, children=[K("ExponentialLR", gamma=0.95),
                                        K("MultiStepLR", milestones=[10, 20], gamma=0.5),
                                        K("ConstantLR", factor=0.5, total_iters=4)]),
    C("ChainedScheduler", 30, children=[K("LinearLR", start_factor=0.1, total_iters=5),
                                        K("CosineAnnealingLR", T_max=20)]),
    C("ChainedScheduler", 25, children=[K("LambdaLR", lam=L("linearWarmup", steps=5)),
                                        K("ExponentialLR", gamma=0.9)]),
    # --- SequentialLR -------------------------------------------------------
    C("SequentialLR", 30, milestones=[5],
      children=[K("LinearLR", start_factor=0.1, total_iters=5), K("CosineAnnealingLR", T_max=20)]),
    C("SequentialLR", 30, milestones=[2],
      children=[K("ConstantLR", factor=0.1, total_iters=2), K("ExponentialLR", gamma=0.9)]),
    C("SequentialLR", 30, milestones=[4, 12],
      children=[K("LinearLR", start_factor=0.2, total_iters=4), K("ConstantLR", factor=0.5, total_iters=6),
                K("ExponentialLR", gamma=0.9)]),
    C("SequentialLR", 30, milestones=[5],
      children=[K("ConstantLR", factor=0.5, total_iters=10), K("StepLR", step_size=4, gamma=0.5)]),
    C("SequentialLR", 30, milestones=[5],
      children=[K("LambdaLR", lam=L("linearWarmup", steps=5)), K("MultiStepLR", milestones=[10, 20])]),
    C("SequentialLR", 40, milestones=[5],
      children=[K("LinearLR", start_factor=0.1, total_iters=5), K("CosineAnnealingWarmRestarts", T_0=5)]),
    C("SequentialLR", 30, milestones=[5],
      children=[K("ConstantLR", factor=0.1, total_iters=10), K("MultiplicativeLR", lam=L("constant", value=0.9))]),
    C("SequentialLR", 35, milestones=[5, 25],
      children=[K("LinearLR", start_factor=0.01, total_iters=5), K("CosineAnnealingLR", T_max=20, eta_min=0.001),
                K("ConstantLR", factor=0.1, total_iters=100)]),
    # --- ReduceLROnPlateau (metrics[t-1] -> t-th step) ----------------------
    C("ReduceLROnPlateau", 35, label="improve-then-plateau", factor=0.5, patience=3,
      metrics=[1.0, 0.9, 0.8, 0.7, 0.6] + rep(0.6, 30)),
    C("ReduceLROnPlateau", 40, label="plateau-defaults",
      metrics=[1.0, 0.5] + rep(0.5, 38)),
    C("ReduceLROnPlateau", 40, label="oscillating", factor=0.5, patience=0, threshold=0.05,
      threshold_mode="abs", metrics=oscillate(40, 1.0, 0.01, 0.05)),
    C("ReduceLROnPlateau", 40, label="accuracy-rises-then-plateaus", mode="max", factor=0.5, patience=2,
      cooldown=3, metrics=[0.5, 0.6, 0.7, 0.72, 0.73] + rep(0.73, 35)),
    C("ReduceLROnPlateau", 40, label="oscillating", mode="max", factor=0.7, patience=1, cooldown=2,
      threshold=0.01, threshold_mode="abs", metrics=[0.5 + 0.002 * i - (0.02 if i % 3 == 1 else 0.0)
                                                      for i in range(40)]),
    C("ReduceLROnPlateau", 30, label="floor-reached", factor=0.5, patience=0, min_lr=0.01,
      metrics=rep(1.0, 30)),
    C("ReduceLROnPlateau", 30, label="eps-blocks-small-step", baseLr=1.0, factor=0.5, patience=0, eps=0.1,
      metrics=rep(1.0, 30)),
    C("ReduceLROnPlateau", 30, label="slow-improvement-below-threshold", factor=0.5, patience=2,
      threshold=0.1, metrics=[1.0 * 0.97 ** i for i in range(30)]),
    C("ReduceLROnPlateau", 30, label="cooldown-only", factor=0.5, patience=0, cooldown=4,
      metrics=rep(2.0, 30)),
    C("ReduceLROnPlateau", 40, label="improve-worsen-improve", factor=0.3, patience=3, cooldown=2, min_lr=1e-4,
      metrics=[1.0, 0.8, 0.7, 0.75, 0.8, 0.9, 0.95, 0.6, 0.5, 0.55, 0.55, 0.55, 0.55, 0.55, 0.4,
               0.41, 0.42, 0.43, 0.44, 0.45, 0.46, 0.47, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3,
               0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]),
    # min/rel with a negative best: best * (1 - threshold) > best, so a flat negative metric counts as
    # an improvement every step and lr never drops; the abs variant does reduce.
    C("ReduceLROnPlateau", 30, label="negative-constant-metric", factor=0.5, patience=2,
      metrics=rep(-1.0, 30)),
    C("ReduceLROnPlateau", 30, label="negative-constant-metric", factor=0.5, patience=2,
      threshold_mode="abs", metrics=rep(-1.0, 30)),
]

MOMENTUM_SCHEDULERS = ("CyclicLR", "OneCycleLR")


# ---------------------------------------------------------------------------
# Running.
# ---------------------------------------------------------------------------
def fmt(value):
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}={fmt(v)}" for k, v in value.items()) + "}"
    return repr(value) if not isinstance(value, str) else value


def fmt_kwargs(options, lam=None):
    parts = [f"{k}={fmt(v)}" for k, v in options.items()]
    if lam is not None:
        parts.insert(0, lam["fn"] + "(" + ",".join(f"{k}={fmt(v)}" for k, v in lam.items() if k != "fn") + ")")
    return ",".join(parts)


def case_name(case):
    sched = case["scheduler"]
    if "children" in case:
        inner = ",".join(f"{c['scheduler']}({fmt_kwargs(c['options'], c.get('lambda'))})" for c in case["children"])
        desc = f"[{inner}]"
        if case["options"]:
            desc += "," + fmt_kwargs(case["options"])
    else:
        desc = fmt_kwargs(case["options"], case.get("lambda")) or "defaults"
    if case.get("label"):
        desc += "/" + case["label"]
    if case["baseLr"] != 0.1:
        desc += f"/baseLr={case['baseLr']!r}"
    return f"{sched}/{desc}"


def cycles_momentum(case):
    return case["scheduler"] in MOMENTUM_SCHEDULERS and case["options"].get("cycle_momentum", True)


def build_child(optimizer, spec):
    cls = getattr(lr_scheduler, spec["scheduler"])
    kwargs = dict(spec["options"])
    if "lambda" in spec:
        kwargs["lr_lambda"] = make_lambda(spec["lambda"])
    return cls(optimizer, **kwargs)


def run_case(case):
    param = torch.nn.Parameter(torch.zeros(1))
    sgd_kwargs = {"lr": case["baseLr"]}
    if cycles_momentum(case):
        sgd_kwargs["momentum"] = 0.9
    optimizer = torch.optim.SGD([param], **sgd_kwargs)

    sched_name = case["scheduler"]
    if sched_name == "OneCycleLR":  # never step past the last scheduled step (torch raises beyond it)
        opts = case["options"]
        total = opts.get("total_steps") or opts["epochs"] * opts["steps_per_epoch"]
        assert case["steps"] == total - 1, f"OneCycleLR case must use steps == total_steps - 1: {opts}"
    if sched_name == "ChainedScheduler":
        scheduler = lr_scheduler.ChainedScheduler([build_child(optimizer, c) for c in case["children"]])
    elif sched_name == "SequentialLR":
        children = [build_child(optimizer, c) for c in case["children"]]
        scheduler = lr_scheduler.SequentialLR(optimizer, schedulers=children, **case["options"])
    else:
        scheduler = build_child(optimizer, case)

    group = optimizer.param_groups[0]
    track_momentum = cycles_momentum(case)
    lrs = [float(group["lr"])]
    moms = [float(group["momentum"])] if track_momentum else None
    for t in range(case["steps"]):
        optimizer.step()
        if sched_name == "ReduceLROnPlateau":
            scheduler.step(case["metrics"][t])
        else:
            scheduler.step()
        lrs.append(float(group["lr"]))
        if track_momentum:
            moms.append(float(group["momentum"]))

    for v in lrs + (moms or []):
        if not math.isfinite(v):
            raise ValueError(f"non-finite value in case {case_name(case)}")

    out = {"name": case_name(case), "scheduler": sched_name, "baseLr": case["baseLr"], "options": case["options"]}
    if "children" in case:
        out["children"] = case["children"]
    if "lambda" in case:
        out["lambda"] = case["lambda"]
    if "metrics" in case:
        out["metrics"] = case["metrics"]
    out["steps"] = case["steps"]
    out["lr"] = lrs
    if track_momentum:
        out["momentum"] = moms
    return out


def generate():
    cases = [run_case(c) for c in CASES]
    names = [c["name"] for c in cases]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f"duplicate case names: {dupes}")
    doc = {
        "generator": GENERATOR,
        "torchVersion": str(torch.__version__),
        "pythonVersion": platform.python_version(),
        "note": NOTE,
        "cases": cases,
    }
    return doc, json.dumps(doc, indent=1, allow_nan=False) + "\n"


def diff_summary(old_text, new_doc, limit=12):
    try:
        old = json.loads(old_text)
    except ValueError as exc:
        return [f"committed file is not valid JSON: {exc}"]
    lines = []
    for key in ("generator", "torchVersion", "pythonVersion", "note"):
        if old.get(key) != new_doc[key]:
            lines.append(f"{key}: {old.get(key)!r} -> {new_doc[key]!r}")
    old_cases = {c.get("name"): c for c in old.get("cases", [])}
    new_cases = {c["name"]: c for c in new_doc["cases"]}
    for name in new_cases:
        if name not in old_cases:
            lines.append(f"added: {name}")
    for name in old_cases:
        if name not in new_cases:
            lines.append(f"removed: {name}")
    for name, new in new_cases.items():
        old_case = old_cases.get(name)
        if old_case is None or old_case == new:
            continue
        detail = [k for k in new if old_case.get(k) != new[k]] + [k for k in old_case if k not in new]
        where = ""
        for key in ("lr", "momentum"):
            a, b = old_case.get(key) or [], new.get(key) or []
            idx = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
            if idx is not None:
                where += f" {key}[{idx}] {a[idx]!r} -> {b[idx]!r};"
        lines.append(f"changed: {name} ({', '.join(detail)}){where}")
    if not lines and [c.get("name") for c in old.get("cases", [])] != list(new_cases):
        lines.append("case order differs")
    if not lines:
        lines.append("formatting differs (same data)")
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more"]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="fixture path (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="compare with the file on disk instead of writing")
    args = parser.parse_args(argv)
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out

    doc, text = generate()
    n_cases = len(doc["cases"])
    n_lr = sum(len(c["lr"]) for c in doc["cases"])

    if args.check:
        if not out.exists():
            print(f"{out}: missing (run without --check to generate)")
            return 1
        old_text = out.read_text(encoding="utf-8")
        if old_text == text:
            print(f"{out}: up to date ({n_cases} cases, {n_lr} lr values)")
            return 0
        print(f"{out}: differs from regenerated output")
        for line in diff_summary(old_text, doc):
            print("  " + line)
        return 1

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(f"wrote {out}: {n_cases} cases, {n_lr} lr values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
