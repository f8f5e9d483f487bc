import type { Ops } from '@stepsize/core';
import { describe, expect, it } from 'vitest';
import { readConformanceFile, type ConformanceFile } from './cases.js';
import { pytorchOptimizerCases } from './fixtures.js';
import { formatResults, runSuite, type CaseResult, type ConformanceBackend } from './runner.js';

/** A float32 reference backend written here, independent of the engine. */
const f32 = (a: number[]): number[] => a.map(Math.fround);
const zip = (a: number[], b: number[], f: (x: number, y: number) => number): number[] =>
  f32(
    Array.from({ length: Math.max(a.length, b.length) }, (_, i) =>
      f(a.length === 1 ? (a[0] as number) : (a[i] as number), b.length === 1 ? (b[0] as number) : (b[i] as number)),
    ),
  );
const ops: Ops<number[]> = {
  name: 'test',
  scalar: (v) => f32([v]),
  zerosLike: (x) => x.map(() => 0),
  fullLike: (x, v) => x.map(() => v[0] as number),
  add: (a, b) => zip(a, b, (x, y) => x + y),
  sub: (a, b) => zip(a, b, (x, y) => x - y),
  mul: (a, b) => zip(a, b, (x, y) => x * y),
  div: (a, b) => zip(a, b, (x, y) => x / y),
  addScaled: (a, b, c) =>
    f32(
      Array.from(
        { length: Math.max(a.length, b.length, c.length) },
        (_, i) =>
          (a.length === 1 ? (a[0] as number) : (a[i] as number)) +
          (b.length === 1 ? (b[0] as number) : (b[i] as number)) * (c.length === 1 ? (c[0] as number) : (c[i] as number)),
      ),
    ),
  neg: (a) => a.map((x) => -x),
  abs: (a) => a.map(Math.abs),
  sqrt: (a) => f32(a.map(Math.sqrt)),
  sign: (a) => a.map((x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN)),
  maximum: (a, b) => zip(a, b, (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y))),
  minimum: (a, b) => zip(a, b, (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y))),
  greater: (a, b) => zip(a, b, (x, y) => (x > y ? 1 : 0)),
  less: (a, b) => zip(a, b, (x, y) => (x < y ? 1 : 0)),
  where: (m, a, b) =>
    Array.from(
      { length: Math.max(m.length, a.length, b.length) },
      (_, i) => ((m.length === 1 ? m[0] : m[i]) ? (a.length === 1 ? a[0] : a[i]) : b.length === 1 ? b[0] : b[i]) as number,
    ),
  sum: (a) => f32([a.reduce((x, y) => x + y, 0)]),
  assign: (_target, value) => value,
  size: (x) => x.length,
  firstNonFinite: (x) => x.findIndex((v) => !Number.isFinite(v)),
};
const backend: ConformanceBackend<number[]> = {
  name: 'test',
  ops,
  fromValues: (v) => Array.from(v),
  toValues: (t) => Float32Array.from(t),
};

const small: ConformanceFile = {
  format: 'stepsize-conformance/1',
  cases: [
    {
      name: 'sgd by hand',
      optimizer: { type: 'sgd', learningRate: 0.5 },
      params: { w: { shape: [2], values: [1, 2] } },
      gradients: [{ w: [1, -1] }, { w: [2, 0] }],
      trajectory: [{ w: [0.5, 2.5] }, { w: [-0.5, 2.5] }],
      learningRates: [0.5, 0.5],
    },
  ],
};

describe('conformance runner', async () => {
  it('passes a correct case and fails a wrong one, naming the step and element', async () => {
    expect((await runSuite(backend, readConformanceFile(small)))[0]?.passed).toBe(true);
    const wrong = structuredClone(small) as unknown as { cases: { trajectory: { w: number[] }[] }[] };
    const wrongStep = wrong.cases[0]?.trajectory[1];
    (wrongStep as { w: number[] }).w[1] = 2.6;
    const [result] = await runSuite(backend, readConformanceFile(wrong));
    expect(result).toMatchObject({ passed: false, worst: { step: 1, param: 'w', index: 1 } });
    expect(formatResults('test', [result as CaseResult])).toMatch(/sgd by hand\s+FAIL.*\n0 passed, 1 failed/);
  });

  it('says why a case fails on its learning rate alone', async () => {
    const wrong = structuredClone(small) as unknown as { cases: { learningRates: number[] }[] };
    (wrong.cases[0] as { learningRates: number[] }).learningRates = [0.5, 0.25];
    const [result] = await runSuite(backend, readConformanceFile(wrong));
    expect(result).toMatchObject({ passed: false, maxError: 0, worstLearningRate: { step: 1, actual: 0.5, expected: 0.25 } });
    expect(formatResults('test', [result as CaseResult])).toMatch(
      /sgd by hand\s+FAIL .* learning rate at step 1 is 0\.5, expected 0\.25 \(rel\. error 1\.00e\+0 > 1e-12\)\n0 passed, 1 failed/,
    );
  });

  it('reports a case whose spec is invalid as a failure with the reason', async () => {
    const bad = structuredClone(small) as unknown as { cases: { optimizer: Record<string, unknown> }[] };
    (bad.cases[0] as { optimizer: Record<string, unknown> }).optimizer = { type: 'sgd', learningRate: -1 };
    const [result] = await runSuite(backend, readConformanceFile(bad));
    expect(result?.passed).toBe(false);
    expect(result?.error).toMatch(/learningRate must be a finite number >= 0/);
  });

  it('validates case files with JSON paths', async () => {
    expect(() => readConformanceFile({ format: 'x', cases: [] })).toThrow(/\$\.format must be "stepsize-conformance\/1"/);
    const short = structuredClone(small) as unknown as { cases: { gradients: { w: number[] }[] }[] };
    (short.cases[0]?.gradients[1] as { w: number[] }).w = [1];
    expect(() => readConformanceFile(short)).toThrow(/\$\.cases\[0\]\.gradients\[1\]\.w must have 2 values/);
  });

  it('an independent float32 backend passes the PyTorch suite too', async () => {
    const results = await runSuite(backend, pytorchOptimizerCases());
    for (const result of results) expect(result.passed, `${result.name}: ${result.maxError} ${result.error ?? ''}`).toBe(true);
  });
});
