#!/usr/bin/python3
"""Training models "the user brings", exported from PyTorch with torch.onnx.export.

Run from anywhere (Debian's python3-torch, stdlib + torch only; python3-onnx,
when installed, additionally runs onnx.checker on the exported files):

    /usr/bin/python3 tooling/goldens/torch_onnx_training_model.py            # write the fixtures
    /usr/bin/python3 tooling/goldens/torch_onnx_training_model.py --out DIR  # write to DIR instead
    /usr/bin/python3 tooling/goldens/torch_onnx_training_model.py --check    # exit 1 on drift

Each model is a torch.nn.Module whose forward takes the batch and the
parameters and returns the loss, the predictions and the gradient of every
parameter, written as explicit formulas (autograd does not export), named by
stepsize's training convention (see packages/onnxruntime/src/model-contract.ts):

    inputs   input [batch, features], target [batch, outputs], one per parameter
    outputs  loss [] (mean squared error), output [batch, outputs], <param>_grad

Weights are [in, out] (as Keras and stepsize). The batch axis is dynamic
(dynamic_axes, symbolic dimension "batch"); opset 13.

  torch-linear-training.onnx  linear regression: forward(input, target, weight, bias)
                              -> (loss, output, weight_grad, bias_grad); 4 -> 2
  torch-mlp-training.onnx     a 3-5-2 tanh MLP: parameters hidden.weight, hidden.bias,
                              out.weight, out.bias

Next to each model, a JSON sidecar (json.dump(indent=1), floats as Python's
repr of the float32 values widened to float64, trailing newline):

    {
     "generator": "tooling/goldens/torch_onnx_training_model.py",
     "torchVersion": "...", "pythonVersion": "...", "opset": 13,
     "model": "torch-linear-training.onnx",
     "note": "...",
     "inputs": [names in order], "outputs": [names in order],
     "params": {name: {"shape": [...], "values": [row-major]}},   the weights used
     "batch": {"input": [...], "target": [...], "examples": N},   a fixed batch
     "expected": {"loss": x, "output": [...], "gradients": {name: [...]}}
    }

"expected" is computed by torch **autograd** (a plain forward pass, then
loss.backward() on leaf tensors), not by the exported formulas, so the
tests check both the exported formulas and ONNX Runtime against it.

With --check nothing is written: every file is regenerated in memory and
compared byte-for-byte with the file on disk (torch 1.13's exporter is
deterministic); differing files are named and the exit status is 1.
"""
import argparse
import io
import json
import platform
import sys
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore", category=UserWarning)

GENERATOR = "tooling/goldens/torch_onnx_training_model.py"
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "packages" / "onnxruntime" / "fixtures"
OPSET = 13
NOTE = "loss and gradients by torch autograd on the batch below; the model computes them with exported formulas"


class LinearTrainingStep(torch.nn.Module):
    """Linear regression under mean squared error: loss, predictions, hand-written gradients."""

    def forward(self, input, target, weight, bias):
        output = input @ weight + bias
        difference = output - target
        loss = (difference * difference).mean()
        d_output = 2.0 * difference / difference.numel()
        weight_grad = input.transpose(0, 1) @ d_output
        bias_grad = d_output.sum(0)
        return loss, output, weight_grad, bias_grad


class MlpTrainingStep(torch.nn.Module):
    """Loss, predictions and hand-written gradients of a tanh MLP under MSE."""

    def forward(self, input, target, w1, b1, w2, b2):
        z1 = input @ w1 + b1
        h = torch.tanh(z1)
        output = h @ w2 + b2
        difference = output - target
        loss = (difference * difference).mean()
        d_output = 2.0 * difference / difference.numel()
        w2_grad = h.transpose(0, 1) @ d_output
        b2_grad = d_output.sum(0)
        d_h = d_output @ w2.transpose(0, 1)
        d_z1 = d_h * (1.0 - h * h)
        w1_grad = input.transpose(0, 1) @ d_z1
        b1_grad = d_z1.sum(0)
        return loss, output, w1_grad, b1_grad, w2_grad, b2_grad


def linear_case():
    torch.manual_seed(20261123)
    weights = {"weight": torch.randn(4, 2) * 0.5, "bias": torch.randn(2) * 0.1}
    batch_input = torch.randn(6, 4)
    batch_target = torch.randn(6, 2)

    def reference(p):
        return batch_input @ p["weight"] + p["bias"]

    return "torch-linear-training", LinearTrainingStep(), weights, batch_input, batch_target, reference


def mlp_case():
    torch.manual_seed(20261122)
    weights = {
        "hidden.weight": torch.randn(3, 5) * 0.5,
        "hidden.bias": torch.randn(5) * 0.1,
        "out.weight": torch.randn(5, 2) * 0.5,
        "out.bias": torch.randn(2) * 0.1,
    }
    batch_input = torch.randn(7, 3)
    batch_target = torch.randn(7, 2)

    def reference(p):
        return torch.tanh(batch_input @ p["hidden.weight"] + p["hidden.bias"]) @ p["out.weight"] + p["out.bias"]

    return "torch-mlp-training", MlpTrainingStep(), weights, batch_input, batch_target, reference


CASES = [linear_case, mlp_case]


def generate(case):
    """Returns {file name: bytes} for one model: the ONNX file and its JSON sidecar."""
    stem, module, weights, batch_input, batch_target, reference = case()
    names = list(weights)
    inputs = ["input", "target", *names]
    outputs = ["loss", "output", *[f"{k}_grad" for k in names]]
    buffer = io.BytesIO()
    torch.onnx.export(
        module,
        (batch_input, batch_target, *[weights[k] for k in names]),
        buffer,
        input_names=inputs,
        output_names=outputs,
        dynamic_axes={"input": {0: "batch"}, "target": {0: "batch"}, "output": {0: "batch"}},
        opset_version=OPSET,
    )
    model = buffer.getvalue()
    try:  # optional: python3-onnx's full check (the generator itself needs only torch)
        import onnx

        onnx.checker.check_model(onnx.load_from_string(model), full_check=True)
    except ImportError:
        pass
    # The reference: torch autograd on the same batch.
    leaves = {k: v.clone().requires_grad_(True) for k, v in weights.items()}
    output = reference(leaves)
    loss = torch.nn.functional.mse_loss(output, batch_target)
    loss.backward()
    sidecar = {
        "generator": GENERATOR,
        "torchVersion": str(torch.__version__),
        "pythonVersion": platform.python_version(),
        "opset": OPSET,
        "model": f"{stem}.onnx",
        "note": NOTE,
        "inputs": inputs,
        "outputs": outputs,
        "params": {k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in weights.items()},
        "batch": {"input": batch_input.flatten().tolist(), "target": batch_target.flatten().tolist(), "examples": batch_input.shape[0]},
        "expected": {
            "loss": loss.item(),
            "output": output.detach().flatten().tolist(),
            "gradients": {k: leaves[k].grad.flatten().tolist() for k in names},
        },
    }
    text = json.dumps(sidecar, indent=1) + "\n"
    return {f"{stem}.onnx": model, f"{stem}.json": text.encode("utf-8")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="directory of the fixtures")
    parser.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = parser.parse_args()
    files = {}
    for case in CASES:
        files.update(generate(case))
    if args.check:
        stale = [name for name, data in files.items() if not (args.out / name).is_file() or (args.out / name).read_bytes() != data]
        for name in stale:
            print(f"{args.out / name}: differs from the generator's output (torch {torch.__version__}); regenerate it")
        if stale:
            sys.exit(1)
        print(f"{args.out}: {len(files)} files up to date")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
        print(f"wrote {args.out / name} ({len(data)} bytes)")
    print(f"with torch {torch.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
