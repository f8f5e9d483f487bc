"""Times torch.optim.Adam / AdamW / SGD(momentum) steps for the engine benchmark. Prints one JSON line.

    python torch_adam.py [--fused] [--threads N] SIZE...

Without --fused: PyTorch's default implementation (foreach on CPU where the version has it; what
Debian's torch 1.13 offers). With --fused: fused=True (PyTorch 2.4+ on CPU), what a user who
picks PyTorch for CPU training uses; exits 3 if this torch has no fused CPU kernels.
--threads sets torch.set_num_threads (default: torch's own default).
"""
import argparse
import json
import sys
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
parser.add_argument("--fused", action="store_true")
parser.add_argument("--threads", type=int)
args = parser.parse_args()
if args.threads:
    torch.set_num_threads(args.threads)
extra = {"fused": True} if args.fused else {}
results = {}
for size in args.sizes:
    for name, make in (
        ("sgdMomentum", lambda p: torch.optim.SGD([p], lr=0.01, momentum=0.9, **extra)),
        ("adam", lambda p: torch.optim.Adam([p], lr=1e-3, **extra)),
        ("adamW", lambda p: torch.optim.AdamW([p], lr=1e-3, **extra)),
    ):
        param = torch.nn.Parameter(torch.randn(size))
        param.grad = torch.randn(size)
        try:
            optimizer = make(param)
            for _ in range(3):
                optimizer.step()
        except (TypeError, RuntimeError) as error:
            if args.fused:
                print(f"torch {torch.__version__} has no fused CPU {name}: {error}", file=sys.stderr)
                sys.exit(3)
            raise
        repeats = 20 if size <= 1_000_000 else 7
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            optimizer.step()
            best = min(best, time.perf_counter() - start)
        results[f"{name}/{size}"] = size / best
print(
    json.dumps(
        {
            "torch": torch.__version__,
            "fused": args.fused,
            "threads": torch.get_num_threads(),
            "python": sys.executable,
            "paramsPerSecond": results,
        }
    )
)
