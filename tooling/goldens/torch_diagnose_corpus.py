#!/usr/bin/python3
"""Real PyTorch training histories, one per kind of loss curve (Debian python3-torch; stdlib + torch only).

    /usr/bin/python3 tooling/goldens/torch_diagnose_corpus.py                 # write the corpus
    /usr/bin/python3 tooling/goldens/torch_diagnose_corpus.py --check         # exit 1 if it differs
    /usr/bin/python3 tooling/goldens/torch_diagnose_corpus.py --only NAME...  # train and summarise some runs, write nothing

Writes packages/core/fixtures/diagnose-corpus/torch/<name>.csv and manifest.json. Every run is
an ordinary PyTorch training run whose setup (learning rate, schedule, data size, length)
makes its loss curve one of the kinds a loss-curve advisor names: slow, oscillating,
diverging, healthy, overfitting, spike, plateau. Nothing is edited after training: each
number is what torch computed.

Data: tooling/goldens/data/iris.json and mnist-digits.json, exported from @stepsize/datasets
by tooling/goldens/export_datasets.mjs (iris({ seed: 0 }): 120 train / 30 validation;
mnist({ perClass: 50, validationPerClass: 20 }): 500 / 200, pixels = pixelValues[level]).
A run may train on the first trainExamples training examples only (the validation set is
always the full one).

Models (float32, torch.nn.Linear's default initialisation after torch.manual_seed(seed)):
iris 4-16-3 tanh, digits 784-32-10 relu (a run may name other layer sizes), trained with
torch.nn.CrossEntropyLoss (softmax cross-entropy, mean over the batch). Each epoch the training
examples are shuffled by torch.randperm with a torch.Generator seeded once per run; the last
partial batch is dropped. The learning rate follows a torch.optim.lr_scheduler.LambdaLR stepped
after every optimizer.step().

CSV columns, one row per optimizer step (step = 0-based index of the update):
  loss          mean cross-entropy of the step's batch, before the update
  valLoss       mean cross-entropy on the whole validation set after the update, at the steps
                where (step + 1) % evaluateEvery == 0 and at the last step (as
                @stepsize/core's train() evaluates), empty elsewhere
  learningRate  param_groups[0]['lr'] used by the update
  gradientNorm  L2 norm of all parameters' gradients together (no clipping is applied)
Numbers are Python's repr (shortest round trip) of torch's float32 losses and norms widened
to float64, and of the float64 learning rate; NaN and Infinity as torch gives them. A run
whose batch loss is not finite stops after that step's row (the manifest says so).

With --check nothing is written: every run is regenerated in memory and compared with the
files on disk, numbers within 1e-6 relative; any difference is named and the exit status is 1.
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
DATA = ROOT / "tooling" / "goldens" / "data"
OUT = ROOT / "packages" / "core" / "fixtures" / "diagnose-corpus" / "torch"
GENERATOR = "tooling/goldens/torch_diagnose_corpus.py"
HEADER = "step,loss,valLoss,learningRate,gradientNorm"
KINDS = ("diverging", "oscillating", "slow", "plateau", "overfitting", "spike", "healthy")
TOLERANCE = 1e-6

MODELS = {
    "iris": {"layers": [4, 16, 3], "activation": "tanh"},
    "digits": {"layers": [784, 32, 10], "activation": "relu"},
}


def run(name, kind, dataset, optimizer, options, steps, batch_size, why, **extra):
    """One run's setup; extra: schedule, train_examples, evaluate_every, layers, corrupt, seed."""
    return {
        "name": name, "kind": kind, "dataset": dataset, "optimizer": optimizer, "options": options,
        "steps": steps, "batch_size": batch_size, "why": why, **extra,
    }


# The schedule is ("constant",) or ("warmup-cosine", warmup_steps): linear warmup from
# lr / warmup to lr over warmup steps, then half a cosine from lr down to 0 at the last step.
RUNS = [
    # slow: a constant rate 100x below one that trains the model well.
    run("iris-slow-sgd", "slow", "iris", "SGD", {"lr": 1e-3}, 600, 16,
        "plain SGD at 1e-3, 100x below the 0.1 that trains this model in a few hundred steps, so after 600 steps the loss is still falling steadily from where it started"),
    run("iris-slow-adam", "slow", "iris", "Adam", {"lr": 1e-4}, 600, 16,
        "Adam at 1e-4, 100x below the 1e-2 that trains this model well: each step moves every weight by about 1e-4, so the loss creeps down and is far from its floor at the end"),
    run("digits-slow-sgd", "slow", "digits", "SGD", {"lr": 1e-3}, 450, 32,
        "plain SGD at 1e-3, 100x below the 0.1 this network trains well at: 30 epochs take the loss only a little below chance (ln 10)"),
    # oscillating: too high a rate, but the loss stays finite.
    run("iris-oscillating-sgd-momentum", "oscillating", "iris", "SGD", {"lr": 1.0, "momentum": 0.9}, 600, 16,
        "SGD with momentum 0.9 at 1.0, 20x the 0.05 that trains this model smoothly: every update overshoots, so the loss keeps swinging between near 0 and above 1; the tanh layer keeps it finite"),
    run("iris-oscillating-adam", "oscillating", "iris", "Adam", {"lr": 0.5}, 600, 16,
        "Adam at 0.5, 50x its usual 1e-2: its steps are far larger than the loss basin, so the loss keeps jumping instead of settling; Adam's bounded steps and the tanh layer keep it finite"),
    run("digits-oscillating-sgd", "oscillating", "digits", "SGD", {"lr": 1.0}, 450, 32,
        "plain SGD at 1.0, 10x the 0.1 this network trains well at and past the largest rate that still converges (about 0.8): the loss drops once and then bounces between 1 and 2.5 for the rest of the run"),
    # diverging: a rate far above the stable limit.
    run("iris-diverging-sgd-momentum", "diverging", "iris", "SGD", {"lr": 2.0, "momentum": 0.99}, 300, 16,
        "SGD at 2.0 with momentum 0.99 (an effective rate of 200, 1000x a good one): the velocity feeds on itself and the loss climbs from 1.2 to tens"),
    run("iris-diverging-sgd", "diverging", "iris", "SGD", {"lr": 50.0}, 300, 16,
        "plain SGD at 50, hundreds of times the stable rate: the first updates throw the output weights far out and the loss stays tens to hundreds of times its start"),
    run("digits-diverging-sgd-momentum", "diverging", "digits", "SGD", {"lr": 10.0, "momentum": 0.99}, 300, 32,
        "SGD at 10 with momentum 0.99 on a relu network, thousands of times the stable rate: the logits keep growing and the loss climbs from 2.3 to about 50"),
    run("digits-diverging-sgd-overflow", "diverging", "digits", "SGD", {"lr": 1e7, "momentum": 0.9}, 300, 32,
        "SGD at 1e7 with momentum 0.9, 1e8 times a good rate: each update multiplies the weights, the logits overflow float32 within five steps and the batch loss is Infinity, where the run stops"),
    # healthy: a good peak rate, linear warmup, cosine decay to 0.
    run("iris-healthy-sgd-momentum", "healthy", "iris", "SGD", {"lr": 0.02, "momentum": 0.9}, 600, 16,
        "SGD with momentum at a good peak rate, 40 warmup steps and a cosine decay to 0: the loss falls fast and then settles as the rate goes to 0, the validation loss with it",
        schedule=("warmup-cosine", 40)),
    run("iris-healthy-adam", "healthy", "iris", "Adam", {"lr": 0.005}, 600, 16,
        "Adam at a good peak rate, 40 warmup steps and a cosine decay to 0: training and validation loss fall together over the whole run",
        schedule=("warmup-cosine", 40)),
    run("digits-healthy-adam", "healthy", "digits", "Adam", {"lr": 0.001}, 300, 32,
        "Adam at its usual 1e-3 with 20 warmup steps and a cosine decay to 0 over 20 epochs: training and validation loss fall together until the rate reaches 0",
        schedule=("warmup-cosine", 20)),
    # overfitting: a tiny training set trained long at a good rate.
    run("iris-overfitting-adam", "overfitting", "iris", "Adam", {"lr": 0.01}, 1500, 5,
        "15 iris rows trained for 500 epochs at a good rate: the model fits them almost exactly (training loss toward 0) while the validation loss turns up after its minimum",
        train_examples=15, evaluate_every=15),
    run("iris-overfitting-sgd-momentum", "overfitting", "iris", "SGD", {"lr": 0.1, "momentum": 0.9}, 1500, 5,
        "15 iris rows trained for 500 epochs with SGD and momentum at a good rate: the training loss keeps falling while the validation loss climbs from an early minimum",
        train_examples=15, evaluate_every=15),
    run("digits-overfitting-adam", "overfitting", "digits", "Adam", {"lr": 0.003}, 800, 10,
        "20 training digits (2 per class) and 400 epochs: the network memorises them, so the validation loss turns up early while the training loss goes to 0",
        train_examples=20, evaluate_every=20),
    # spike: a healthy run with one corrupted batch mid-run, applied as usual.
    run("iris-spike-sgd", "spike", "iris", "SGD", {"lr": 0.1}, 600, 16,
        "a healthy constant-rate SGD run in which the batch of step 300 has its labels rotated by one class: that batch's loss jumps and its update is applied as usual, then the run recovers",
        corrupt={"step": 300, "kind": "rotate-labels"}),
    run("iris-spike-adam", "spike", "iris", "Adam", {"lr": 0.005}, 600, 16,
        "a healthy warmup-cosine Adam run in which the batch of step 300 has its labels rotated by one class: that batch's loss jumps and its update is applied as usual, then the run recovers",
        schedule=("warmup-cosine", 40), corrupt={"step": 300, "kind": "rotate-labels"}),
    run("digits-spike-adam", "spike", "digits", "Adam", {"lr": 0.001}, 450, 32,
        "a healthy constant-rate Adam run in which the batch of step 225 has its pixels multiplied by 50: that batch's loss and gradient jump and its update is applied as usual, then the run recovers",
        corrupt={"step": 225, "kind": "scale-inputs", "factor": 50.0}),
    # plateau: a good constant rate held many times longer than needed.
    run("iris-plateau-adam", "plateau", "iris", "Adam", {"lr": 0.01}, 1200, 16,
        "Adam at a good constant 1e-2 held for 1200 steps when about 250 reach the loss floor: the loss is flat over the last three quarters of the run and the rate never drops"),
    run("iris-plateau-sgd", "plateau", "iris", "SGD", {"lr": 0.5}, 1200, 16,
        "plain SGD at a good constant 0.5 held for 1200 steps when about 200 reach the loss floor: the loss sits at the floor that rate allows for the rest of the run"),
]


LOADED = {}


def load(dataset):
    if dataset not in LOADED:
        LOADED[dataset] = read_dataset(dataset)
    return LOADED[dataset]


def read_dataset(dataset):
    if dataset == "iris":
        document = json.loads((DATA / "iris.json").read_text())

        def tensor(split):
            return torch.tensor(split["inputs"], dtype=torch.float32), torch.tensor(split["targets"], dtype=torch.int64)
    else:
        document = json.loads((DATA / "mnist-digits.json").read_text())
        values = torch.tensor(document["pixelValues"], dtype=torch.float32)

        def tensor(split):
            return values[torch.tensor(split["inputs"], dtype=torch.int64)], torch.tensor(split["targets"], dtype=torch.int64)
    return tensor(document["train"]), tensor(document["validation"])


def build_model(layers, activation):
    modules = []
    for index in range(len(layers) - 1):
        modules.append(torch.nn.Linear(layers[index], layers[index + 1]))
        if index < len(layers) - 2:
            modules.append(torch.nn.Tanh() if activation == "tanh" else torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


def lr_factor(schedule, steps):
    if schedule[0] == "constant":
        return lambda step: 1.0
    warmup = schedule[1]

    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1.0 + math.cos(math.pi * (step - warmup + 1) / (steps - warmup)))
    return factor


def describe_schedule(schedule, options, steps):
    if schedule[0] == "constant":
        return f"constant {options['lr']!r}"
    warmup = schedule[1]
    return (f"LambdaLR: linear warmup {options['lr']!r} * (step + 1) / {warmup} for steps 0..{warmup - 1}, "
            f"then {options['lr']!r} * 0.5 * (1 + cos(pi * (step - {warmup - 1}) / {steps - warmup})), 0 at step {steps - 1}")


def corrupt_batch(inputs, targets, corrupt, classes):
    if corrupt["kind"] == "scale-inputs":
        return inputs * corrupt["factor"], targets
    return inputs, (targets + 1) % classes


def train(spec):
    torch.manual_seed(spec.get("seed", 0))
    (train_inputs, train_targets), (val_inputs, val_targets) = load(spec["dataset"])
    examples = spec.get("train_examples")
    if examples is not None:
        train_inputs, train_targets = train_inputs[:examples], train_targets[:examples]
    model_spec = MODELS[spec["dataset"]]
    layers = spec.get("layers", model_spec["layers"])
    model = build_model(layers, model_spec["activation"])
    parameters = list(model.parameters())
    optimizer = getattr(torch.optim, spec["optimizer"])(parameters, foreach=False, **spec["options"])
    schedule = spec.get("schedule", ("constant",))
    steps = spec["steps"]
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(schedule, steps))
    loss_function = torch.nn.CrossEntropyLoss()
    shuffle = torch.Generator().manual_seed(spec.get("seed", 0) + 1)
    batch_size = spec["batch_size"]
    count = train_inputs.shape[0]
    per_epoch = count // batch_size
    evaluate_every = spec.get("evaluate_every", per_epoch)
    corrupt = spec.get("corrupt")
    rows = []
    step = 0
    while step < steps:
        order = torch.randperm(count, generator=shuffle)
        for batch in range(per_epoch):
            if step >= steps:
                break
            indices = order[batch * batch_size:(batch + 1) * batch_size]
            inputs, targets = train_inputs[indices], train_targets[indices]
            if corrupt is not None and corrupt["step"] == step:
                inputs, targets = corrupt_batch(inputs, targets, corrupt, layers[-1])
            optimizer.zero_grad()
            loss = loss_function(model(inputs), targets)
            loss.backward()
            norm = torch.norm(torch.stack([p.grad.detach().norm(2) for p in parameters]), 2)
            learning_rate = float(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
            value = float(loss.item())
            last = step == steps - 1 or not math.isfinite(value)
            val = None
            if (step + 1) % evaluate_every == 0 or last:
                with torch.no_grad():
                    val = float(loss_function(model(val_inputs), val_targets).item())
            rows.append((step, value, val, learning_rate, float(norm.item())))
            step += 1
            if not math.isfinite(value):
                return rows, per_epoch, evaluate_every, layers, count, schedule
    return rows, per_epoch, evaluate_every, layers, count, schedule


def number(value):
    if value is None:
        return ""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def csv_text(rows):
    lines = [HEADER] + [",".join([str(r[0])] + [number(v) for v in r[1:]]) for r in rows]
    return "\n".join(lines) + "\n"


def smooth(values, window):
    out = []
    for index in range(len(values)):
        part = [v for v in values[max(0, index - window + 1):index + 1] if math.isfinite(v)]
        out.append(sum(part) / len(part) if part else math.nan)
    return out


def summary(spec, rows):
    losses = [r[1] for r in rows]
    window = max(5, len(rows) // 40)
    smoothed = smooth(losses, window)
    finite = [v for v in smoothed if math.isfinite(v)]
    vals = [(r[0], r[2]) for r in rows if r[2] is not None]
    finite_vals = [(s, v) for s, v in vals if math.isfinite(v)]
    val_min = min(finite_vals, key=lambda x: x[1]) if finite_vals else (None, math.nan)
    first = smoothed[window - 1]
    at60 = smoothed[int(len(rows) * 0.6)] if len(rows) > 10 else math.nan
    final = smoothed[-1]
    drop = first - min(finite) if finite else math.nan
    late = (at60 - final) / drop if drop and math.isfinite(drop) and drop > 0 else math.nan
    text = (f"{spec['name']:32s} {spec['kind']:11s} steps {len(rows):4d} loss first {first:.4g} min {min(finite):.4g} "
            f"final {final:.4g} max {max(losses):.4g} | late drop share {late:.3f} | val first {vals[0][1]:.4g} "
            f"min {val_min[1]:.4g} @ {val_min[0]} final {vals[-1][1]:.4g}")
    corrupt = spec.get("corrupt")
    if corrupt is not None:
        step = corrupt["step"]
        around = [losses[i] for i in range(step - 20, step) if 0 <= i]
        text += (f" | spike @ {step}: {losses[step]:.4g} (20 before: {sum(around) / len(around):.4g}), "
                 f"after: {' '.join(f'{v:.3g}' for v in losses[step + 1:step + 6])}")
    return text


def manifest_entry(spec, rows, per_epoch, evaluate_every, layers, count, schedule):
    activation = MODELS[spec["dataset"]]["activation"]
    entry = {
        "file": f"{spec['name']}.csv",
        "kind": spec["kind"],
        "dataset": "iris({ seed: 0 })" if spec["dataset"] == "iris" else "mnist({ perClass: 50, validationPerClass: 20 })",
        "model": "-".join(str(n) for n in layers) + f" MLP, {activation}, softmax cross-entropy",
        "optimizer": f"torch.optim.{spec['optimizer']}",
        "options": spec["options"],
        "schedule": describe_schedule(schedule, spec["options"], spec["steps"]),
        "steps": len(rows),
        "batchSize": spec["batch_size"],
        "trainExamples": count,
        "stepsPerEpoch": per_epoch,
        "evaluateEvery": evaluate_every,
        "seed": spec.get("seed", 0),
    }
    corrupt = spec.get("corrupt")
    if corrupt is not None:
        entry["corruptedBatch"] = (
            {"step": corrupt["step"], "change": f"inputs multiplied by {corrupt['factor']!r}"}
            if corrupt["kind"] == "scale-inputs" else {"step": corrupt["step"], "change": "labels rotated: class c -> (c + 1) % classes"})
    if len(rows) < spec["steps"]:
        entry["stoppedEarly"] = {"plannedSteps": spec["steps"], "reason": f"batch loss {number(rows[-1][1])} at step {rows[-1][0]}"}
    entry["why"] = spec["why"]
    return entry


def generate(specs, report):
    torch.set_num_threads(1)
    files, runs = {}, []
    for spec in specs:
        assert spec["kind"] in KINDS, spec["name"]
        rows, *rest = train(spec)
        files[f"{spec['name']}.csv"] = csv_text(rows)
        runs.append(manifest_entry(spec, rows, *rest))
        if report:
            print(summary(spec, rows), flush=True)
    manifest = {
        "provenance": {
            "generator": GENERATOR,
            "command": f"/usr/bin/python3 {GENERATOR}",
            "torch": torch.__version__,
            "python": "%d.%d.%d" % sys.version_info[:3],
            "data": "tooling/goldens/data/iris.json and mnist-digits.json (tooling/goldens/export_datasets.mjs)",
            "columns": {
                "step": "0-based index of the optimizer update",
                "loss": "mean cross-entropy of the step's batch, before the update",
                "valLoss": "mean cross-entropy on the whole validation set after the update, every evaluateEvery updates and at the last step; empty elsewhere",
                "learningRate": "param_groups[0]['lr'] used by the update",
                "gradientNorm": "L2 norm of all gradients together, unclipped",
            },
        },
        "runs": runs,
    }
    files["manifest.json"] = json.dumps(manifest, indent=1) + "\n"
    return files


def parse_field(text):
    if text == "":
        return None
    return float(text.replace("Infinity", "inf"))


def same_number(a, b):
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b))


def differences(name, expected, current):
    if name.endswith(".json"):
        return [] if expected == current else [f"{name}: differs"]
    want, have = expected.splitlines(), current.splitlines()
    if len(want) != len(have):
        return [f"{name}: {len(have)} lines, the generator gives {len(want)}"]
    for line, (w, h) in enumerate(zip(want, have)):
        ws, hs = w.split(","), h.split(",")
        if line == 0 or len(ws) != len(hs):
            if w != h:
                return [f"{name}:{line + 1}: {h!r}, the generator gives {w!r}"]
            continue
        for column, (a, b) in enumerate(zip(ws, hs)):
            if not same_number(parse_field(a), parse_field(b)):
                return [f"{name}:{line + 1}: {HEADER.split(',')[column]} {b!r}, the generator gives {a!r}"]
    return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--only", nargs="+", metavar="NAME")
    args = parser.parse_args()
    if args.only:
        generate([spec for spec in RUNS if spec["name"] in args.only or spec["kind"] in args.only], True)
        return
    files = generate(RUNS, not args.check)
    if args.check:
        problems = []
        on_disk = sorted(p.name for p in args.out.glob("*")) if args.out.exists() else []
        for extra in sorted(set(on_disk) - set(files)):
            problems.append(f"{extra}: not written by the generator")
        for name, text in files.items():
            path = args.out / name
            if not path.exists():
                problems.append(f"{name}: missing")
                continue
            problems.extend(differences(name, text, path.read_text()))
        for problem in problems:
            print(f"{args.out}/{problem}")
        if problems:
            print("regenerate with: /usr/bin/python3 " + GENERATOR)
            sys.exit(1)
        print(f"{args.out}: {len(files) - 1} runs up to date")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text)
    print(f"wrote {args.out}: {len(files) - 1} runs and manifest.json")


if __name__ == "__main__":
    main()
