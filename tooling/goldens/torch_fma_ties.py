#!/usr/bin/python3
"""Which rounding PyTorch's CPU multiply-adds follow on float32 ties (Debian python3-torch).

    /usr/bin/python3 tooling/goldens/torch_fma_ties.py          # write the fixture
    /usr/bin/python3 tooling/goldens/torch_fma_ties.py --check  # exit 1 if it differs

Rounding a + b*c to float64 and then to float32 rounds twice; a fused multiply-add rounds once.
They differ when the exact value lies within half a float64 unit of a float32 tie. This script
builds such inputs (b*c = 2^m (1 - 2^-2j) or 2^m (1 + 2^-3j), m putting the product on half a
float32 unit of a), keeps those where the two roundings disagree (decided with exact rationals),
adds ordinary random triples, and records what torch returns for
  torch.add(A, B, alpha=c)     (the optimizers' add_(x, alpha=))
  torch.addcmul(A, B, C)       (value=1)
on tensors of 37 elements (the vectorized loop and the scalar tail). Writes
packages/core/fixtures/torch-fma-ties.json: cases [{a, b, c, single, double, add, addcmul}] as
float32 bit patterns (hex), where single is the exact single rounding and double the
float64-then-float32 one.
"""
import argparse
import json
import random
import struct
import sys
from fractions import Fraction
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "packages/core/fixtures/torch-fma-ties.json"
LANES = 37


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def bits(x):
    return "%08x" % struct.unpack("<I", struct.pack("<f", x))[0]


def round_f32_exact(q):
    """The float32 nearest the rational q (ties to even), by bisection on the ordered bit patterns."""
    lo, hi = -0x7F800000, 0x7F800000

    def value(k):
        return struct.unpack("<f", struct.pack("<I", k if k >= 0 else (0x80000000 | -k)))[0]

    # largest k with value(k) <= q
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if Fraction(value(mid)) <= q:
            lo = mid
        else:
            hi = mid
    below, above = value(lo), value(hi)
    db, da = q - Fraction(below), Fraction(above) - q
    if db < da:
        return below
    if da < db:
        return above
    return below if (abs(lo) & 1) == 0 else above


def tie_cases(rng, count):
    cases = []
    while len(cases) < count:
        a = f32(rng.choice([1, -1]) * (1 + rng.getrandbits(23) * 2.0**-23) * 2.0 ** rng.randint(-20, 20))
        e = 0
        while 2.0 ** (e + 1) <= abs(a):
            e += 1
        while 2.0**e > abs(a):
            e -= 1
        half = 2.0 ** (e - 24)
        if rng.random() < 0.5:
            j = rng.randint(15, 23)
            u, w = 1 + 2.0**-j, 1 - 2.0**-j
        else:
            j = rng.choice([10, 11])
            u, w = 1 + 2.0**-j, 1 - 2.0**-j + 2.0 ** (-2 * j)
        split = rng.randint(-6, 6)
        sign = rng.choice([1, -1])
        b = f32(sign * u * 2.0 ** (split))
        c = f32(w * half * 2.0 ** (-split))
        if rng.random() < 0.5:
            b, c = c, b
        exact = Fraction(a) + Fraction(b) * Fraction(c)
        single = round_f32_exact(exact)
        double = f32(a + b * c)
        if single != double:
            cases.append((a, b, c))
    return cases


def random_cases(rng, count):
    out = []
    for _ in range(count):
        a, b, c = (f32(rng.gauss(0, 1) * 2.0 ** rng.randint(-8, 8)) for _ in range(3))
        out.append((a, b, c))
    return out


def torch_results(triples):
    rows = []
    for a, b, c in triples:
        A = torch.full((LANES,), a, dtype=torch.float32)
        B = torch.full((LANES,), b, dtype=torch.float32)
        C = torch.full((LANES,), c, dtype=torch.float32)
        add = torch.add(A, B, alpha=c)
        mul = torch.addcmul(A, B, C)
        for t in (add, mul):
            if len(set(bits(float(x)) for x in t)) != 1:
                raise SystemExit("lanes disagree for %r" % ((a, b, c),))
        exact = Fraction(a) + Fraction(b) * Fraction(c)
        rows.append(
            {
                "a": bits(a),
                "b": bits(b),
                "c": bits(c),
                "single": bits(round_f32_exact(exact)),
                "double": bits(f32(a + b * c)),
                "add": bits(float(add[0])),
                "addcmul": bits(float(mul[0])),
            }
        )
    return rows


def build():
    rng = random.Random(20261203)
    cases = torch_results(tie_cases(rng, 48) + random_cases(rng, 16))
    return {
        "provenance": "tooling/goldens/torch_fma_ties.py with Debian python3-torch %s (torch.add alpha= and torch.addcmul on CPU, %d lanes)"
        % (torch.__version__, LANES),
        "cases": cases,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = json.dumps(build(), indent=1) + "\n"
    if args.check:
        if OUT.read_text() != text:
            print("%s differs from the generator" % OUT, file=sys.stderr)
            sys.exit(1)
        return
    OUT.write_text(text)
    data = json.loads(text)["cases"]
    print("%d cases; torch add == single: %d, == double: %d; addcmul == single: %d"
          % (len(data), sum(r["add"] == r["single"] for r in data), sum(r["add"] == r["double"] for r in data),
             sum(r["addcmul"] == r["single"] for r in data)))


if __name__ == "__main__":
    main()
