import { OptimizerRunner, optimizerFromJSON, type KernelProvider, type Ops } from '@stepsize/core';
import type { ConformanceCase, ConformanceFile } from './cases.js';

/** What a backend gives the conformance suite: its primitives and tensor conversion. */
export interface ConformanceBackend<T> {
  readonly name: string;
  readonly ops: Ops<T>;
  /** Fused kernels, if the backend has them (the suite runs them instead of the generic path). */
  readonly kernels?: KernelProvider<T>;
  /** Makes a float32 tensor from values. */
  fromValues(values: Float32Array, shape: readonly number[]): T;
  /** Makes a trainable parameter (tfjs: a `tf.Variable`). Default: {@link ConformanceBackend.fromValues}. */
  createParameter?(values: Float32Array, shape: readonly number[]): T;
  /** Frees a tensor the case created (tfjs: `dispose`). Optional. */
  dispose?(tensor: T): void;
  /** Reads a tensor back as float32 values. */
  toValues(tensor: T): Float32Array;
  /** Runs a step body and frees what it allocated (tfjs: tf.tidy). Default: just runs it. */
  scope?<R>(body: () => R): R;
}

/** The default relative tolerance: 1e-5 in float32. */
export const DEFAULT_TOLERANCE = 1e-5;

/**
 * Relative error of a float32 result against a reference:
 * `|a - b| / max(|b|, scale / 100)`, where `scale` is the largest magnitude in
 * the reference tensor. The floor keeps elements near zero from being judged
 * by their own vanishing magnitude: one float32 rounding of a large element of
 * the same tensor (PyTorch fuses multiply-adds that we round twice) would
 * otherwise count as a large relative error (compare torch.testing's
 * `atol + rtol * |b|`).
 */
export function relativeError(actual: number, expected: number, scale: number): number {
  if (Object.is(actual, expected)) return 0;
  if (Number.isNaN(actual) || Number.isNaN(expected)) return Infinity;
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), scale / 100, 1e-30);
}

/** The result of one case. */
export interface CaseResult {
  readonly name: string;
  readonly passed: boolean;
  readonly tolerance: number;
  /** Largest relative error over every parameter element and step. */
  readonly maxError: number;
  /** Where it was: step, parameter, index. */
  readonly worst: { readonly step: number; readonly param: string; readonly index: number } | undefined;
  /** Largest relative error of the learning rate, when the case lists them. */
  readonly learningRateError: number;
  /** Set when the case could not run (bad spec, backend error). */
  readonly error?: string;
}

/** Runs one case on a backend. */
export function runCase<T>(backend: ConformanceBackend<T>, c: ConformanceCase, fileTolerance = DEFAULT_TOLERANCE): CaseResult {
  const tolerance = c.tolerance ?? fileTolerance;
  const scope = backend.scope ?? (<R>(body: () => R): R => body());
  let maxError = 0;
  let learningRateError = 0;
  let worst: CaseResult['worst'];
  try {
    const optimizer = optimizerFromJSON(c.optimizer);
    const params: Record<string, T> = {};
    const create = backend.createParameter ?? backend.fromValues;
    for (const [name, tensor] of Object.entries(c.params)) params[name] = create.call(backend, Float32Array.from(tensor.values), tensor.shape);
    const runner = new OptimizerRunner({ optimizer, ops: backend.ops, params, ...(backend.kernels && { kernels: backend.kernels }) });
    c.gradients.forEach((gradient, step) => {
      const grads: Record<string, T> = {};
      for (const [name, values] of Object.entries(gradient)) grads[name] = backend.fromValues(Float32Array.from(values), c.params[name]?.shape ?? [values.length]);
      const report = scope(() => runner.step(grads));
      if (backend.dispose) for (const grad of Object.values(grads)) backend.dispose(grad);
      const expectedRate = c.learningRates?.[step];
      if (expectedRate !== undefined && report.learningRate !== undefined) {
        learningRateError = Math.max(learningRateError, relativeError(report.learningRate, expectedRate, Math.abs(expectedRate)));
      }
      const expected = c.trajectory[step] ?? {};
      for (const [name, values] of Object.entries(expected)) {
        const actual = backend.toValues(runner.params[name] as T);
        let scale = 0;
        for (const v of values) scale = Math.max(scale, Math.abs(v));
        values.forEach((v, index) => {
          const error = relativeError(actual[index] as number, v, scale);
          if (!(error <= maxError)) {
            maxError = error;
            worst = { step, param: name, index };
          }
        });
      }
    });
  } catch (error) {
    return { name: c.name, passed: false, tolerance, maxError, worst, learningRateError, error: (error as Error).message };
  }
  return { name: c.name, passed: maxError <= tolerance && learningRateError <= 1e-12, tolerance, maxError, worst, learningRateError };
}

/** Runs every case of a file on a backend. */
export function runSuite<T>(backend: ConformanceBackend<T>, file: ConformanceFile): CaseResult[] {
  return file.cases.map((c) => runCase(backend, c, file.tolerance ?? DEFAULT_TOLERANCE));
}

/** A per-case pass/fail table with the largest error (what the CLI prints). */
export function formatResults(backend: string, results: readonly CaseResult[]): string {
  const width = Math.max(4, ...results.map((r) => r.name.length));
  const lines = [`conformance: backend ${backend}, ${results.length} cases`, `${'case'.padEnd(width)}  result  max rel. error  tolerance`];
  for (const r of results) {
    const where = r.worst ? ` (step ${r.worst.step}, ${r.worst.param}[${r.worst.index}])` : '';
    lines.push(`${r.name.padEnd(width)}  ${r.passed ? 'pass' : 'FAIL'}    ${r.maxError.toExponential(2).padStart(13)}  ${r.tolerance.toExponential(0)}${r.error ? `  error: ${r.error}` : where}`);
  }
  const failed = results.filter((r) => !r.passed).length;
  lines.push(`${results.length - failed} passed, ${failed} failed`);
  return lines.join('\n');
}
