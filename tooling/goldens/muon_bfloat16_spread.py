"""How far two bfloat16 Newton-Schulz implementations drift apart: Debian's torch 1.13 runs
torch.optim.Muon's update (torch 2.13's algorithm, written out below) on the gradients of the
copied torch 2.13 cases, in its own bfloat16 and in float32, and prints the largest relative
error from torch 2.13's trajectory as the conformance suite measures it
(|a - b| / max(|b|, max|b| / 100)). The numbers document the tolerance of the bfloat16 cases
(packages/conformance/src/references.ts, BFLOAT16_TOLERANCE).

    /usr/bin/python3 tooling/goldens/muon_bfloat16_spread.py
"""

import json
import pathlib

import torch

FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "packages" / "conformance" / "fixtures" / "reference-optimizer-trajectories.json"


def newton_schulz(update, dtype, coefficients=(3.4445, -4.7750, 2.0315), steps=5, eps=1e-7):
    a, b, c = coefficients
    x = update.to(dtype)
    tall = update.size(0) > update.size(1)
    if tall:
        x = x.T
    x = x / x.norm().clamp(min=eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def spread(case, dtype):
    options = case["options"]
    shape = case["params"]["w"]["shape"]
    param = torch.tensor(case["params"]["w"]["values"], dtype=torch.float32).reshape(shape)
    buffer = torch.zeros_like(param)
    momentum, lr, decay = options["momentum"], options["lr"], options["weight_decay"]
    rows, columns = shape
    ratio = 0.2 * max(rows, columns) ** 0.5 if options["adjust_lr_fn"] == "match_rms_adamw" else max(1, rows / columns) ** 0.5
    worst = 0.0
    for gradient, expected in zip(case["gradients"], case["trajectory"]):
        grad = torch.tensor(gradient["w"], dtype=torch.float32).reshape(shape)
        buffer.lerp_(grad, 1 - momentum)
        update = grad.lerp(buffer, momentum) if options["nesterov"] else buffer
        param.mul_(1 - lr * decay)
        param.add_(newton_schulz(update, dtype).float(), alpha=-lr * ratio)
        want = torch.tensor(expected["w"]).reshape(shape)
        error = (param - want).abs() / torch.maximum(want.abs(), want.abs().max() / 100)
        worst = max(worst, error.max().item())
    return worst


def main() -> None:
    cases = json.loads(FIXTURE.read_text())["cases"]
    for case in cases:
        if case["reference"].startswith("torch.optim.Muon"):
            print(f"{case['name']}: torch {torch.__version__} bfloat16 {spread(case, torch.bfloat16):.3e}, float32 {spread(case, torch.float32):.3e}")


if __name__ == "__main__":
    main()
