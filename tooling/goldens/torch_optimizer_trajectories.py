#!/usr/bin/python3
"""Golden optimizer trajectories from PyTorch (Debian python3-torch; stdlib + torch only).

    /usr/bin/python3 tooling/goldens/torch_optimizer_trajectories.py          # write the fixture
    /usr/bin/python3 tooling/goldens/torch_optimizer_trajectories.py --check  # exit 1 if it differs

Writes packages/conformance/fixtures/pytorch-optimizer-trajectories.json. Each case:
  name, optimizer (torch.optim class), options (kwargs as passed; foreach=False so the
  single-tensor code path is the reference), groups (optional: [{params: [names], options}]),
  params ({name: {shape, values}} float32 initial values), gradients (one {name: values} per
  step, assigned to p.grad before clipping), clip (optional {kind: 'norm', maxNorm} via
  clip_grad_norm_ or {kind: 'value', clipValue} via clip_grad_value_, over all params),
  scheduler (optional {scheduler, options}: a torch.optim.lr_scheduler class stepped after each
  optimizer.step()), steps, lr (param_groups[0]['lr'] used at each step), beta1 (when a
  scheduler cycles Adam's beta1), trajectory (param values after each step).
Gradients are deterministic: seeded normals of mixed magnitude with sign flips and zeros, or,
for cases marked 'quadratic', the gradient of 0.5 * sum(a * (p - target)^2) at the current
params (recorded as data either way).
"""
import argparse
import json
import math
import sys
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore", category=UserWarning)
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "packages" / "conformance" / "fixtures" / "pytorch-optimizer-trajectories.json"
SHAPES = {"w": [3, 4], "b": [4]}

# (name, optimizer, options, extra) ; extra: steps, groups, clip, scheduler, quadratic
CASES = [
    ("SGD/lr=0.1", "SGD", {"lr": 0.1}, {}),
    ("SGD/momentum=0.9", "SGD", {"lr": 0.05, "momentum": 0.9}, {}),
    ("SGD/momentum=0.9,dampening=0.5", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}, {}),
    ("SGD/nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, {"quadratic": True}),
    ("SGD/momentum,weight_decay=0.01", "SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}, {}),
    ("SGD/maximize", "SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}, {}),
    ("Adam/defaults", "Adam", {}, {}),
    ("Adam/betas=(0.8,0.99),eps=1e-6", "Adam", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6}, {"quadratic": True}),
    ("Adam/amsgrad", "Adam", {"lr": 0.01, "amsgrad": True}, {}),
    ("Adam/weight_decay=0.01", "Adam", {"lr": 0.01, "weight_decay": 0.01}, {}),
    ("Adam/maximize", "Adam", {"lr": 0.01, "maximize": True}, {}),
    ("AdamW/defaults", "AdamW", {}, {}),
    ("AdamW/weight_decay=0.1,amsgrad", "AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}, {}),
    ("AdamW/lr=0.01", "AdamW", {"lr": 0.01}, {"quadratic": True}),
    ("Adamax/defaults", "Adamax", {}, {}),
    ("Adamax/weight_decay=0.01", "Adamax", {"weight_decay": 0.01}, {}),
    ("Adamax/lr=0.02", "Adamax", {"lr": 0.02}, {"quadratic": True}),
    ("NAdam/defaults", "NAdam", {}, {}),
    ("NAdam/momentum_decay=0.01", "NAdam", {"lr": 0.01, "momentum_decay": 0.01}, {}),
    ("NAdam/weight_decay=0.01", "NAdam", {"lr": 0.01, "weight_decay": 0.01}, {"quadratic": True}),
    ("RAdam/defaults", "RAdam", {}, {"steps": 40}),
    ("RAdam/weight_decay=0.01", "RAdam", {"lr": 0.01, "weight_decay": 0.01}, {"steps": 40}),
    ("RAdam/betas=(0.8,0.99)", "RAdam", {"lr": 0.01, "betas": [0.8, 0.99]}, {"steps": 40, "quadratic": True}),
    ("Adagrad/defaults", "Adagrad", {}, {}),
    ("Adagrad/lr_decay=0.01", "Adagrad", {"lr": 0.05, "lr_decay": 0.01}, {}),
    ("Adagrad/initial_accumulator_value=0.1,weight_decay", "Adagrad", {"lr": 0.05, "initial_accumulator_value": 0.1, "weight_decay": 0.01}, {}),
    ("Adagrad/eps=1e-6", "Adagrad", {"lr": 0.05, "eps": 1e-6}, {"quadratic": True}),
    ("Adadelta/defaults", "Adadelta", {}, {}),
    ("Adadelta/rho=0.5", "Adadelta", {"rho": 0.5}, {}),
    ("Adadelta/weight_decay=0.01", "Adadelta", {"lr": 0.5, "weight_decay": 0.01}, {"quadratic": True}),
    ("RMSprop/defaults", "RMSprop", {}, {}),
    ("RMSprop/centered", "RMSprop", {"lr": 0.005, "centered": True}, {}),
    ("RMSprop/momentum=0.9", "RMSprop", {"lr": 0.001, "momentum": 0.9}, {}),
    ("RMSprop/centered,momentum", "RMSprop", {"lr": 0.001, "centered": True, "momentum": 0.5}, {"quadratic": True}),
    ("RMSprop/alpha=0.9,weight_decay", "RMSprop", {"lr": 0.005, "alpha": 0.9, "weight_decay": 0.01}, {}),
    ("Rprop/defaults", "Rprop", {}, {}),
    ("Rprop/etas=(0.3,1.5)", "Rprop", {"etas": [0.3, 1.5]}, {"quadratic": True}),
    ("Rprop/step_sizes=(1e-4,1.0)", "Rprop", {"lr": 0.05, "step_sizes": [1e-4, 1.0]}, {}),
    ("SGD+StepLR", "SGD", {"lr": 0.1, "momentum": 0.9}, {"scheduler": {"scheduler": "StepLR", "options": {"step_size": 5, "gamma": 0.5}}}),
    ("Adam+OneCycleLR", "Adam", {"lr": 0.01}, {"scheduler": {"scheduler": "OneCycleLR", "options": {"max_lr": 0.05, "total_steps": 30}}, "steps": 29}),
    ("SGD+CosineAnnealingLR", "SGD", {"lr": 0.1}, {"scheduler": {"scheduler": "CosineAnnealingLR", "options": {"T_max": 20, "eta_min": 0.001}}, "quadratic": True}),
    ("AdamW+LinearLR", "AdamW", {"lr": 0.01}, {"scheduler": {"scheduler": "LinearLR", "options": {"start_factor": 0.1, "total_iters": 10}}}),
    ("Adam+clip_grad_norm", "Adam", {"lr": 0.01}, {"clip": {"kind": "norm", "maxNorm": 1.0}}),
    ("SGD+clip_grad_value", "SGD", {"lr": 0.1, "momentum": 0.9}, {"clip": {"kind": "value", "clipValue": 0.05}}),
    ("RMSprop+ExponentialLR+clip_grad_norm", "RMSprop", {"lr": 0.01}, {"scheduler": {"scheduler": "ExponentialLR", "options": {"gamma": 0.9}}, "clip": {"kind": "norm", "maxNorm": 0.5}}),
    ("Adam/groups", "Adam", {"lr": 0.01, "weight_decay": 0.01}, {"groups": [{"params": ["w"], "options": {}}, {"params": ["b"], "options": {"lr": 0.05, "weight_decay": 0.0}}]}),
    ("SGD/groups", "SGD", {"lr": 0.05}, {"groups": [{"params": ["w"], "options": {"momentum": 0.9}}, {"params": ["b"], "options": {"momentum": 0.5, "dampening": 0.1}}]}),
]

FOREACH = {"SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta", "RMSprop", "Rprop"}


def f32_list(tensor):
    return [float(x) for x in tensor.detach().reshape(-1).tolist()]


def run_case(index, name, optimizer_name, options, extra):
    steps = extra.get("steps", 30)
    generator = torch.Generator().manual_seed(1000 + index)
    params = {key: torch.nn.Parameter(torch.randn(shape, generator=generator)) for key, shape in SHAPES.items()}
    initial = {key: {"shape": SHAPES[key], "values": f32_list(p)} for key, p in params.items()}
    quadratic = extra.get("quadratic", False)
    if quadratic:
        weights = {k: torch.rand(SHAPES[k], generator=generator) * 3 + 0.1 for k in SHAPES}
        targets = {k: torch.randn(SHAPES[k], generator=generator) for k in SHAPES}
    cls = getattr(torch.optim, optimizer_name)
    kwargs = dict(options)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    for key in ("etas", "step_sizes"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    if optimizer_name in FOREACH:
        kwargs["foreach"] = False
    groups = extra.get("groups")
    if groups:
        optimizer = cls([{"params": [params[n] for n in g["params"]], **g["options"]} for g in groups], **kwargs)
    else:
        optimizer = cls(list(params.values()), **kwargs)
    scheduler = None
    if "scheduler" in extra:
        spec = extra["scheduler"]
        scheduler = getattr(torch.optim.lr_scheduler, spec["scheduler"])(optimizer, **spec["options"])
    gradients, trajectory, lrs, beta1 = [], [], [], []
    for step in range(steps):
        for key, p in params.items():
            if quadratic:
                p.grad = (weights[key] * (p.detach() - targets[key])).clone()
            else:
                scale = 10 ** (torch.rand(SHAPES[key], generator=generator) * 4 - 3)
                g = torch.randn(SHAPES[key], generator=generator) * scale
                g = g.reshape(-1)
                g[(step + len(key)) % g.numel()] = 0.0
                p.grad = g.reshape(SHAPES[key]).clone()
        gradients.append({key: f32_list(p.grad) for key, p in params.items()})
        clip = extra.get("clip")
        if clip and clip["kind"] == "norm":
            torch.nn.utils.clip_grad_norm_(list(params.values()), clip["maxNorm"])
        elif clip:
            torch.nn.utils.clip_grad_value_(list(params.values()), clip["clipValue"])
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        if "betas" in optimizer.param_groups[0]:
            beta1.append(float(optimizer.param_groups[0]["betas"][0]))
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        trajectory.append({key: f32_list(p) for key, p in params.items()})
        for v in trajectory[-1].values():
            assert all(math.isfinite(x) for x in v), name
    case = {"name": name, "optimizer": optimizer_name, "options": options}
    if groups:
        case["groups"] = groups
    case["params"] = initial
    case["gradients"] = gradients
    if "clip" in extra:
        case["clip"] = extra["clip"]
    if "scheduler" in extra:
        case["scheduler"] = extra["scheduler"]
    case["steps"] = steps
    case["lr"] = lrs
    if scheduler is not None and "betas" in optimizer.param_groups[0] and len(set(beta1)) > 1:
        case["beta1"] = beta1
    case["trajectory"] = trajectory
    return case


def generate():
    torch.set_num_threads(1)
    cases = [run_case(i, *case) for i, case in enumerate(CASES)]
    document = {
        "generator": "tooling/goldens/torch_optimizer_trajectories.py",
        "torchVersion": torch.__version__,
        "pythonVersion": "%d.%d.%d" % sys.version_info[:3],
        "dtype": "float32",
        "note": "gradients[t] is assigned to p.grad before clipping at step t; lr[t] is the group-0 lr used by step t; trajectory[t] is the params after step t",
        "cases": cases,
    }
    return json.dumps(document, indent=1) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = generate()
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(f"{args.out}: differs from the generator's output; regenerate it")
            sys.exit(1)
        print(f"{args.out}: up to date")
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}: {len(CASES)} cases, {len(text)} bytes")


if __name__ == "__main__":
    main()
