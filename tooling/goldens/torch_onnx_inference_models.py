#!/usr/bin/python3
"""Ordinary inference models exported from PyTorch, with torch-autograd truth.

Run from anywhere (Debian's python3-torch 1.13; stdlib + torch + numpy only;
python3-onnx, when installed, additionally runs onnx.checker with
full_check=True on every exported file and cross-checks the initializer
reader below against onnx.numpy_helper):

    /usr/bin/python3 tooling/goldens/torch_onnx_inference_models.py            # write the fixtures
    /usr/bin/python3 tooling/goldens/torch_onnx_inference_models.py --out DIR  # write to DIR instead
    /usr/bin/python3 tooling/goldens/torch_onnx_inference_models.py --check    # exit 1 on drift

Unlike torch_onnx_training_model.py, these are plain nn.Modules exported the
way a user exports a model for inference: torch.onnx.export(model.eval(), ...)
with opset 17, the weights stored as initializers (export_params=True,
keep_initializers_as_inputs=False, do_constant_folding=True), one input
"input" and one output "output", the batch axis dynamic (symbolic "batch").
No gradient is in the graph: a trainer has to differentiate the graph itself,
and the sidecar holds the truth to compare against.

Files, in packages/onnxruntime/fixtures/inference-models/:

  mlp.onnx          Linear(6,8) -> ReLU -> Linear(8,5) -> Tanh -> Linear(5,3);
                    input float32 [batch, 6]; softmax cross-entropy, class indices
  cnn.onnx          Conv2d(1,4,3,pad 1) -> ReLU -> MaxPool2d(2) -> Conv2d(4,6,3,stride 2,
                    pad 1, groups 2) -> ReLU -> AvgPool2d(2) -> Flatten -> Linear(54,10);
                    input float32 [batch, 1, 28, 28]; softmax cross-entropy, class indices
  transformer.onnx  Embedding(12,8) -> pre-LayerNorm single-head self-attention (q, k, v,
                    out Linear(8,8), scores / sqrt(8), softmax) + residual -> LayerNorm ->
                    Linear(8,16) -> exact (erf) GELU -> Linear(16,8) + residual ->
                    mean over the sequence -> Linear(8,4); input int64 token ids
                    [batch, 5]; mean squared error against float targets [batch, 4]
  batchnorm.onnx    Conv2d(3,4,3) -> BatchNorm2d(4) (eval: running statistics) -> ReLU ->
                    AdaptiveAvgPool2d(1) -> Flatten -> Linear(4,1); input float32
                    [batch, 3, 6, 6]; binary cross-entropy with logits, 0/1 targets [batch, 1]
  reshape.onnx      Linear(3,5) on [batch, 4, 3] (MatMul + Add) -> tanh -> x.view(x.size(0), -1)
                    (the exporter's Shape/Gather/Unsqueeze/Concat chain into Reshape) ->
                    cat([h, sqrt(s**2 + 1) - exp(-s)]) with s = h[:, 2:9] (Slice, Concat,
                    Pow, Sqrt, Neg, Exp, Sub) -> Linear(27,2); mean squared error
  activations.onnx  Conv2d(2,4,3,pad 2,dilation 2) -> LeakyReLU(0.1) -> MaxPool2d(3, stride 2,
                    pad 1); then s = sum over the plane (ReduceSum, keepdims, Squeeze),
                    m = mean of |h| (Abs, ReduceMean), m <- where(m > 0.65, m, m*m) (Where),
                    sigmoid(s * scale) (a per-channel nn.Parameter) and
                    log(softplus(m) + 1) / (1 + m) (Softplus, Log, Div), Concat,
                    Linear(8,5) -> log_softmax (LogSoftmax); input float32 [batch, 2, 8, 8];
                    mean squared error against float targets [batch, 5]

batchnorm.onnx is exported with training=TrainingMode.PRESERVE (the module is
in eval mode all the same, so BatchNormalization has training_mode=0 and uses
the running statistics): with TrainingMode.EVAL torch 1.13's eval peephole
(_jit_pass_onnx_eval_peephole) folds the BatchNorm into the preceding Conv,
leaving neither a BatchNormalization node nor its parameters in the file.
The other models use TrainingMode.EVAL.

Next to each model, a JSON sidecar <name>.json (json.dump(indent=1), floats as
Python floats of the float32 values, trailing newline):

    {
     "generator": "tooling/goldens/torch_onnx_inference_models.py",
     "torchVersion": "...", "opset": 17,
     "model": "cnn.onnx",
     "loss": "softmaxCrossEntropy" | "mse" | "binaryCrossEntropy",   all means over the batch
     "targetKind": "classIndex" | "values",
     "initializers": {name: {"shape": [...], "values": [row-major]}},
     "trainable": [names],
     "batch": {"input": {"shape": [...], "values": [...], "type": "float32" | "int64"},
               "target": {"shape": [...], "values": [...]}},
     "expected": {"loss": x, "output": [row-major], "gradients": {name: [row-major]}},
     "expectedFloat64": {the same keys, computed in float64}
    }

"initializers" lists every FLOAT initializer of the ONNX file under the name
the file gives it, with the values as stored there (BatchNorm's running_mean
and running_var included). "trainable" names those that hold a torch
nn.Parameter: a parameter is matched to the initializer whose values equal it
exactly, either as is or transposed (the exporter stores a Linear applied to
a 3-D input as MatMul by a folded, transposed [in, out] constant with a
generated name such as onnx::MatMul_123); the generator fails if a parameter
matches no initializer, or more than one. Class-index targets are written as
float values (0.0, 2.0, ...).

"expected" is torch autograd on the eval-mode module in float32: the loss on
the batch, the model's output, and loss.backward()'s gradient of every
trainable initializer, in that initializer's layout (the transpose of the
parameter's .grad where the initializer is the transposed weight).
"expectedFloat64" is the same computation on a float64 copy of the module (the
stored weights and batch widened): the exact-arithmetic yardstick that tells
float32 rounding (torch's own float32 autograd included) from a wrong gradient.

With --check nothing is written: every file is regenerated in memory and
compared byte-for-byte with the file on disk (torch 1.13's exporter is
deterministic); differing files are named and the exit status is 1.
"""
import argparse
import copy
import io
import json
import math
import struct
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

warnings.filterwarnings("ignore", category=UserWarning)

GENERATOR = "tooling/goldens/torch_onnx_inference_models.py"
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "packages" / "onnxruntime" / "fixtures" / "inference-models"
OPSET = 17
BATCH = 3
ONNX_FLOAT = 1  # TensorProto.FLOAT


# ---------------------------------------------------------------- the models


class Mlp(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 5), nn.Tanh(), nn.Linear(5, 3))


class Cnn(nn.Sequential):
    def __init__(self):
        super().__init__(
            nn.Conv2d(1, 4, kernel_size=3, stride=1, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 28 -> 14
            nn.Conv2d(4, 6, kernel_size=3, stride=2, padding=1, dilation=1, groups=2),  # 14 -> 7
            nn.ReLU(),
            nn.AvgPool2d(2),  # 7 -> 3
            nn.Flatten(),
            nn.Linear(6 * 3 * 3, 10),
        )


class TinyTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(12, 8)
        self.ln1 = nn.LayerNorm(8)
        self.q = nn.Linear(8, 8)
        self.k = nn.Linear(8, 8)
        self.v = nn.Linear(8, 8)
        self.attn_out = nn.Linear(8, 8)
        self.ln2 = nn.LayerNorm(8)
        self.fc1 = nn.Linear(8, 16)
        self.gelu = nn.GELU()
        self.fc2 = nn.Linear(16, 8)
        self.head = nn.Linear(8, 4)

    def forward(self, input):
        x = self.embedding(input)
        h = self.ln1(x)
        q, k, v = self.q(h), self.k(h), self.v(h)
        scores = q @ k.transpose(-1, -2) / math.sqrt(8)
        attention = torch.softmax(scores, dim=-1) @ v
        x = x + self.attn_out(attention)
        x = x + self.fc2(self.gelu(self.fc1(self.ln2(x))))
        return self.head(x.mean(dim=1))


class ReshapeNet(nn.Module):
    """Linear on a 3-D input (MatMul + Add), x.view(x.size(0), -1) (the exporter's
    Shape/Gather/Unsqueeze/Concat chain into Reshape), Concat with a Slice of itself,
    sqrt/pow/neg/exp elementwise, and a Linear head."""

    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(3, 5)
        self.head = nn.Linear(4 * 5 + 7, 2)

    def forward(self, input):
        h = torch.tanh(self.inner(input))
        h = h.view(h.size(0), -1)
        side = torch.sqrt(h[:, 2:9] ** 2 + 1.0) - torch.exp(-h[:, 2:9])
        return self.head(torch.cat([h, side], dim=1))


class ActivationsNet(nn.Module):
    """The operators the other models leave out: a dilated Conv, LeakyRelu, a strided and
    padded MaxPool, ReduceSum with Squeeze, Abs, ReduceMean, Where, Sigmoid, Softplus, Log,
    Div, a broadcast Mul by a free parameter, and LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, kernel_size=3, padding=2, dilation=2)
        self.scale = nn.Parameter(0.05 + 0.1 * torch.rand(4))  # s * scale of order 1: sigmoid not saturated
        self.head = nn.Linear(8, 5)

    def forward(self, input):
        h = F.leaky_relu(self.conv(input), 0.1)
        h = F.max_pool2d(h, kernel_size=3, stride=2, padding=1)  # 8 -> 4
        s = h.sum(dim=(2, 3), keepdim=True).squeeze(3).squeeze(2)
        m = h.abs().mean(dim=(2, 3))
        m = torch.where(m > 0.65, m, m * m)  # both branches taken on the batch
        z = torch.cat([torch.sigmoid(s * self.scale), torch.log(F.softplus(m) + 1.0) / (1.0 + m)], dim=1)
        return F.log_softmax(self.head(z), dim=1)


class BatchNormNet(nn.Sequential):
    def __init__(self):
        super().__init__(
            nn.Conv2d(3, 4, 3),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(4, 1),
        )


def mlp_case():
    torch.manual_seed(20261201)
    model = Mlp()
    batch_input = torch.randn(BATCH, 6)
    target = torch.tensor([0, 2, 1])
    return dict(stem="mlp", model=model, input=batch_input, target=target, loss="softmaxCrossEntropy",
                target_kind="classIndex", loss_fn=F.cross_entropy, mode=torch.onnx.TrainingMode.EVAL)


def cnn_case():
    torch.manual_seed(20261202)
    model = Cnn()
    batch_input = torch.randn(BATCH, 1, 28, 28)
    target = torch.tensor([3, 7, 0])
    return dict(stem="cnn", model=model, input=batch_input, target=target, loss="softmaxCrossEntropy",
                target_kind="classIndex", loss_fn=F.cross_entropy, mode=torch.onnx.TrainingMode.EVAL)


def transformer_case():
    torch.manual_seed(20261203)
    model = TinyTransformer()
    with torch.no_grad():
        # LayerNorm's default init (ones, zeros) would make the two LayerNorms'
        # tensors identical (the exporter could then share one initializer) and
        # hide the affine part from the gradients: seeded non-trivial values.
        for ln in (model.ln1, model.ln2):
            ln.weight.copy_(1.0 + 0.3 * torch.randn(8))
            ln.bias.copy_(0.2 * torch.randn(8))
    batch_input = torch.tensor([[1, 4, 7, 4, 11], [0, 3, 3, 9, 2], [5, 8, 10, 6, 1]])
    target = torch.randn(BATCH, 4)
    return dict(stem="transformer", model=model, input=batch_input, target=target, loss="mse",
                target_kind="values", loss_fn=F.mse_loss, mode=torch.onnx.TrainingMode.EVAL)


def batchnorm_case():
    torch.manual_seed(20261204)
    model = BatchNormNet()
    bn = model[1]
    with torch.no_grad():
        bn.weight.copy_(1.0 + 0.4 * torch.randn(4))
        bn.bias.copy_(0.3 * torch.randn(4))
        bn.running_mean.copy_(0.3 * torch.randn(4))
        bn.running_var.copy_(0.5 + torch.rand(4))
    batch_input = torch.randn(BATCH, 3, 6, 6)
    target = torch.tensor([[1.0], [0.0], [1.0]])
    # PRESERVE, not EVAL: see the module docstring (EVAL folds the BatchNorm into the Conv).
    return dict(stem="batchnorm", model=model, input=batch_input, target=target, loss="binaryCrossEntropy",
                target_kind="values", loss_fn=F.binary_cross_entropy_with_logits,
                mode=torch.onnx.TrainingMode.PRESERVE)


def reshape_case():
    torch.manual_seed(20261205)
    model = ReshapeNet()
    batch_input = torch.randn(BATCH, 4, 3)
    target = torch.randn(BATCH, 2)
    return dict(stem="reshape", model=model, input=batch_input, target=target, loss="mse",
                target_kind="values", loss_fn=F.mse_loss, mode=torch.onnx.TrainingMode.EVAL)


def activations_case():
    torch.manual_seed(20261206)
    model = ActivationsNet()
    batch_input = torch.randn(BATCH, 2, 8, 8)
    target = torch.randn(BATCH, 5)
    return dict(stem="activations", model=model, input=batch_input, target=target, loss="mse",
                target_kind="values", loss_fn=F.mse_loss, mode=torch.onnx.TrainingMode.EVAL)


CASES = [mlp_case, cnn_case, transformer_case, batchnorm_case, reshape_case, activations_case]


# ------------------------------------------- a minimal ONNX (protobuf) reader


def _varint(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def _fields(data):
    """Yields (field number, wire type, value) of one protobuf message."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def read_graph(model_bytes):
    """(op types of the graph's nodes, {name: (data type, dims, float32 array or None)} of its initializers)."""
    graph = next(v for n, _, v in _fields(model_bytes) if n == 7)  # ModelProto.graph
    ops, initializers = [], {}
    for number, _, value in _fields(graph):
        if number == 1:  # GraphProto.node
            ops.append(next(bytes(v).decode() for n, _, v in _fields(value) if n == 4))  # op_type
        elif number == 5:  # GraphProto.initializer (TensorProto)
            dims, data_type, name, raw, floats = [], 0, None, None, []
            for n, wire, v in _fields(value):
                if n == 1:
                    dims.extend([v] if wire == 0 else _packed_varints(v))
                elif n == 2:
                    data_type = v
                elif n == 8:
                    name = bytes(v).decode()
                elif n == 9:
                    raw = bytes(v)
                elif n == 4:
                    floats.extend([struct.unpack("<f", v)[0]] if wire == 5 else struct.unpack(f"<{len(v) // 4}f", v))
            array = None
            if data_type == ONNX_FLOAT:
                if raw is not None:
                    array = np.frombuffer(raw, dtype="<f4").astype(np.float32)
                else:
                    array = np.array(floats, dtype=np.float32)
                array = array.reshape(dims)
            initializers[name] = (data_type, dims, array)
    return ops, initializers


def _packed_varints(data):
    pos, out = 0, []
    while pos < len(data):
        value, pos = _varint(data, pos)
        out.append(value)
    return out


def onnx_checks(model_bytes, initializers):
    """With python3-onnx: the full checker, and the reader above against onnx's own."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        return
    model = onnx.load_from_string(model_bytes)
    onnx.checker.check_model(model, full_check=True)
    stored = {t.name: t for t in model.graph.initializer}
    if set(stored) != set(initializers):
        raise SystemExit(f"initializer names disagree with onnx: {sorted(stored)} vs {sorted(initializers)}")
    for name, (data_type, dims, array) in initializers.items():
        tensor = stored[name]
        if tensor.data_type != data_type or list(tensor.dims) != dims:
            raise SystemExit(f"initializer {name}: type/shape disagree with onnx")
        if array is not None and not np.array_equal(numpy_helper.to_array(tensor), array):
            raise SystemExit(f"initializer {name}: values disagree with onnx")


# ------------------------------------------------------------------ generate


def match_parameters(model, floats):
    """{parameter name: (initializer name, transposed?)}; fails unless each parameter matches exactly one."""
    matches = {}
    for pname, param in model.named_parameters():
        value = param.detach().numpy()
        found = []
        for iname, array in floats.items():
            if array.shape == value.shape and np.array_equal(array, value):
                found.append((iname, False))
            elif value.ndim == 2 and array.shape == value.T.shape and np.array_equal(array, value.T):
                found.append((iname, True))
        if len(found) != 1:
            raise SystemExit(f"parameter {pname} {tuple(value.shape)}: {len(found)} matching initializers {found}; "
                             f"initializers: {[(k, list(v.shape)) for k, v in floats.items()]}")
        matches[pname] = found[0]
    used = [iname for iname, _ in matches.values()]
    if len(set(used)) != len(used):
        raise SystemExit(f"two parameters share one initializer: {matches}")
    return matches


def generate(case):
    """Returns ({file name: bytes}, summary lines) for one model: the ONNX file and its JSON sidecar."""
    c = case()
    stem, model, batch_input, target = c["stem"], c["model"].eval(), c["input"], c["target"]
    buffer = io.BytesIO()
    torch.onnx.export(
        model,
        (batch_input,),
        buffer,
        opset_version=OPSET,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        export_params=True,
        keep_initializers_as_inputs=False,
        do_constant_folding=True,
        training=c["mode"],
    )
    model_bytes = buffer.getvalue()
    ops, initializers = read_graph(model_bytes)
    onnx_checks(model_bytes, initializers)
    floats = {name: array for name, (data_type, _, array) in initializers.items() if data_type == ONNX_FLOAT}
    matches = match_parameters(model, floats)
    trainable = [iname for iname, _ in matches.values()]

    # The truth: torch autograd on the eval-mode module, float32.
    model.zero_grad()
    output = model(batch_input)
    loss = c["loss_fn"](output, target)
    loss.backward()
    params = dict(model.named_parameters())
    gradients = {}
    for pname, (iname, transposed) in matches.items():
        grad = params[pname].grad.detach()
        gradients[iname] = (grad.t() if transposed else grad).contiguous()
        assert list(gradients[iname].shape) == list(floats[iname].shape)

    # The same computation in float64 (the weights and batch as stored, widened): the
    # exact-arithmetic yardstick that separates float32 rounding from a wrong gradient.
    model64 = copy.deepcopy(model).double()
    model64.zero_grad()
    input64 = batch_input.double() if batch_input.is_floating_point() else batch_input
    target64 = target.double() if target.is_floating_point() else target
    output64 = model64(input64)
    loss64 = c["loss_fn"](output64, target64)
    loss64.backward()
    params64 = dict(model64.named_parameters())
    gradients64 = {}
    for pname, (iname, transposed) in matches.items():
        grad = params64[pname].grad.detach()
        gradients64[iname] = (grad.t() if transposed else grad).contiguous()

    def values(t):
        return t.detach().flatten().tolist()

    sidecar = {
        "generator": GENERATOR,
        "torchVersion": str(torch.__version__),
        "opset": OPSET,
        "model": f"{stem}.onnx",
        "loss": c["loss"],
        "targetKind": c["target_kind"],
        "initializers": {k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in floats.items()},
        "trainable": trainable,
        "batch": {
            "input": {
                "shape": list(batch_input.shape),
                "values": values(batch_input),
                "type": "int64" if batch_input.dtype == torch.int64 else "float32",
            },
            "target": {"shape": list(target.shape), "values": values(target.to(torch.float32))},
        },
        "expected": {
            "loss": loss.item(),
            "output": values(output),
            "gradients": {k: values(g) for k, g in gradients.items()},
        },
        "expectedFloat64": {
            "loss": loss64.item(),
            "output": values(output64),
            "gradients": {k: values(g) for k, g in gradients64.items()},
        },
    }
    text = json.dumps(sidecar, indent=1) + "\n"

    summary = [f"{stem}.onnx: ops {sorted(set(ops))}", f"  loss {loss.item():.6g}"]
    for iname in floats:
        if iname in gradients:
            pname = next(p for p, (i, _) in matches.items() if i == iname)
            layout = ", transposed" if matches[pname][1] else ""
            summary.append(f"  {iname} {list(floats[iname].shape)} <- {pname}{layout}: "
                           f"max |grad| {gradients[iname].abs().max().item():.6g}")
        else:
            summary.append(f"  {iname} {list(floats[iname].shape)}: not trainable")
    return {f"{stem}.onnx": model_bytes, f"{stem}.json": text.encode("utf-8")}, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="directory of the fixtures")
    parser.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = parser.parse_args()
    files = {}
    for case in CASES:
        generated, summary = generate(case)
        files.update(generated)
        print("\n".join(summary))
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
