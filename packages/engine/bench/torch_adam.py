"""Times torch.optim.Adam / AdamW / SGD(momentum) steps (PyTorch defaults: foreach on CPU when
available, default threads) for the engine benchmark. Prints one JSON line."""
import json
import sys
import time

import torch

sizes = [int(x) for x in sys.argv[1:]] or [1_000_000, 10_000_000]
results = {}
for size in sizes:
    for name, make in (
        ("sgdMomentum", lambda p: torch.optim.SGD([p], lr=0.01, momentum=0.9)),
        ("adam", lambda p: torch.optim.Adam([p], lr=1e-3)),
        ("adamW", lambda p: torch.optim.AdamW([p], lr=1e-3)),
    ):
        param = torch.nn.Parameter(torch.randn(size))
        param.grad = torch.randn(size)
        optimizer = make(param)
        for _ in range(3):
            optimizer.step()
        repeats = 20 if size <= 1_000_000 else 5
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            optimizer.step()
            best = min(best, time.perf_counter() - start)
        results[f"{name}/{size}"] = size / best
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "paramsPerSecond": results}))
