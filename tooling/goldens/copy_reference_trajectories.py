"""Copies reference optimizer trajectories that PyTorch 1.13 cannot produce into the conformance fixtures.

The source, ../shared/references/modern-optimizers.json, was computed by torch 2.13.0 (CPU) and
optax 0.2.8 (jax 0.10.2) in float32 by oracle/modern_golden.py; neither installs on these machines,
so the file is reference data, copied here as it is, case by case, with its provenance.

    /usr/bin/python3 tooling/goldens/copy_reference_trajectories.py

Add a case name to CASES once stepsize implements the optimizer it checks.
"""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared" / "references" / "modern-optimizers.json"
TARGET = ROOT / "packages" / "conformance" / "fixtures" / "reference-optimizer-trajectories.json"

CASES = [
    "schedule_free_adamw",
    "schedule_free_sgd",
    "adopt",
    "ademamix",
    "lars",
    "adabelief",
    "lion",
    "lamb",
    "prodigy",
    "dadapt_adamw",
    "dog",
    "muon",
    "torch_muon",
    "torch_muon_match_rms",
    "torch_adafactor",
]


def main() -> None:
    source = json.loads(SOURCE.read_text())
    by_name = {case["name"]: case for case in source["cases"]}
    missing = [name for name in CASES if name not in by_name]
    if missing:
        raise SystemExit(f"not in {SOURCE}: {', '.join(missing)}")
    fixture = {
        "provenance": (
            f"copied by tooling/goldens/copy_reference_trajectories.py from ../shared/references/modern-optimizers.json "
            f"(generator {source['generator']}: torch {source['torch']}, optax {source['optax']}, jax {source['jax']}, {source['dtype']})"
        ),
        "torch": source["torch"],
        "optax": source["optax"],
        "jax": source["jax"],
        "dtype": source["dtype"],
        "format": source["format"],
        "cases": [by_name[name] for name in CASES],
    }
    TARGET.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {len(CASES)} cases to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
