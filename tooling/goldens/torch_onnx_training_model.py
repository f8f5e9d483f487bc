#!/usr/bin/python3
"""A training model "the user brings", exported from PyTorch with torch.onnx.export.

A 3-5-2 tanh MLP with mean squared error whose forward returns the loss, the
predictions and the gradient of every parameter, written as explicit formulas
(autograd does not export), named by stepsize's training convention: inputs
`input`, `target`, `hidden.weight`, `hidden.bias`, `out.weight`, `out.bias`
(weights [in, out], as Keras and stepsize); outputs `loss`, `output` and
`<param>_grad`. The batch axis is dynamic.

Writes packages/onnxruntime/fixtures/torch-mlp-training.onnx and a JSON sidecar
with the generator's versions, the weights, a batch, and the loss and gradients
computed by torch **autograd** (not by the exported formulas), which the tests
compare with what ONNX Runtime computes from the exported model.

Run with Debian's python3-torch: /usr/bin/python3 tooling/goldens/torch_onnx_training_model.py
"""
import json
import os
import platform
import sys

import torch

GENERATOR = "tooling/goldens/torch_onnx_training_model.py"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages", "onnxruntime", "fixtures")
PARAMS = ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]


class TrainingStep(torch.nn.Module):
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


def main():
    torch.manual_seed(20261122)
    weights = {
        "hidden.weight": torch.randn(3, 5) * 0.5,
        "hidden.bias": torch.randn(5) * 0.1,
        "out.weight": torch.randn(5, 2) * 0.5,
        "out.bias": torch.randn(2) * 0.1,
    }
    batch_input = torch.randn(7, 3)
    batch_target = torch.randn(7, 2)
    os.makedirs(OUT, exist_ok=True)
    model_path = os.path.join(OUT, "torch-mlp-training.onnx")
    args = (batch_input, batch_target, *[weights[k] for k in PARAMS])
    torch.onnx.export(
        TrainingStep(),
        args,
        model_path,
        input_names=["input", "target", *PARAMS],
        output_names=["loss", "output", *[f"{k}_grad" for k in PARAMS]],
        dynamic_axes={"input": {0: "batch"}, "target": {0: "batch"}, "output": {0: "batch"}},
        opset_version=13,
    )
    # The reference: torch autograd on the same batch.
    leaves = {k: v.clone().requires_grad_(True) for k, v in weights.items()}
    output = torch.tanh(batch_input @ leaves["hidden.weight"] + leaves["hidden.bias"]) @ leaves["out.weight"] + leaves["out.bias"]
    loss = torch.nn.functional.mse_loss(output, batch_target)
    loss.backward()
    sidecar = {
        "generator": GENERATOR,
        "torchVersion": str(torch.__version__),
        "pythonVersion": platform.python_version(),
        "note": "loss and gradients by torch autograd on the batch below; the model computes them with exported formulas",
        "params": {k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in weights.items()},
        "batch": {"input": batch_input.flatten().tolist(), "target": batch_target.flatten().tolist(), "examples": 7},
        "expected": {
            "loss": loss.item(),
            "output": output.detach().flatten().tolist(),
            "gradients": {k: leaves[k].grad.flatten().tolist() for k in PARAMS},
        },
    }
    with open(os.path.join(OUT, "torch-mlp-training.json"), "w") as handle:
        json.dump(sidecar, handle, indent=1)
        handle.write("\n")
    print(f"wrote {model_path} with torch {torch.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
