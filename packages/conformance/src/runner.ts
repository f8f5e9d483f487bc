import { OptimizerRunner, optimizerFromJSON, type KernelTable, type Ops, type Optimizer, type StepReport } from '@stepsize/core';
import type { ConformanceCase, ConformanceFile } from './cases.js';

/** What a backend gives the conformance suite: its primitives and tensor conversion. */
export interface ConformanceBackend<T> {
  readonly name: string;
  /** Gets the backend ready before the first case (tfjs: a tfjs backend is active). Optional; the CLI and `runSuite` await it. */
  prepare?(): Promise<void>;
  readonly ops: Ops<T>;
  /** Fused kernels, if the backend has them (the suite runs them instead of the generic path). */
  readonly kernels?: KernelTable<T>;
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

/** One optimizer run of a {@link StepperBackend}: takes gradients, exposes the parameters. */
export interface Stepper {
  /** Applies one step of gradients (by parameter name). */
  step(gradients: Readonly<Record<string, Float32Array>>): StepReport | Promise<StepReport>;
  /** The current values of a parameter. */
  values(name: string): Float32Array | Promise<Float32Array>;
  /**
   * The current evaluation values of a parameter, for optimizers that evaluate elsewhere
   * than they train (schedule-free's `x`; the parameter itself otherwise). Needed by cases
   * with an `evalTrajectory`.
   */
  evaluationValues?(name: string): Float32Array | Promise<Float32Array>;
  /** Frees what the run holds. Optional. */
  dispose?(): void | Promise<void>;
}

/**
 * A backend that runs whole optimizer steps itself, possibly asynchronously
 * (ONNX Runtime runs a traced update graph per step), instead of handing the
 * suite its primitives.
 */
export interface StepperBackend {
  readonly name: string;
  /** Gets the backend ready before the first case. Optional; the CLI and `runSuite` await it. */
  prepare?(): Promise<void>;
  /** Starts a run of one case: the optimizer and the case's initial parameters (values and shape). */
  createStepper(args: {
    readonly optimizer: Optimizer;
    readonly params: Readonly<Record<string, { readonly values: Float32Array; readonly shape: readonly number[] }>>;
  }): Stepper | Promise<Stepper>;
}

/** Either kind of backend the suite runs. */
// biome-ignore lint/suspicious/noExplicitAny: type erasure; a backend both takes and returns T (ops, kernels, fromValues), so only any accepts every ConformanceBackend<T> (unknown and never are rejected)
export type AnyConformanceBackend = ConformanceBackend<any> | StepperBackend;

function opsStepper<T>(
  backend: ConformanceBackend<T>,
  optimizer: Optimizer,
  params: Parameters<StepperBackend['createStepper']>[0]['params'],
): Stepper {
  const scope = backend.scope ?? (<R>(body: () => R): R => body());
  const create = backend.createParameter ?? backend.fromValues;
  const tensors: Record<string, T> = {};
  for (const [name, tensor] of Object.entries(params)) tensors[name] = create.call(backend, tensor.values, tensor.shape);
  const runner = new OptimizerRunner({
    optimizer,
    ops: backend.ops,
    params: tensors,
    // Backends with flat tensors (the engine) learn the shapes here (Muon, Adafactor read them).
    shapes: Object.fromEntries(Object.entries(params).map(([name, tensor]) => [name, tensor.shape])),
    ...(backend.kernels && { kernels: backend.kernels }),
  });
  return {
    step: (gradients) => {
      const grads: Record<string, T> = {};
      for (const [name, values] of Object.entries(gradients))
        grads[name] = backend.fromValues(values, params[name]?.shape ?? [values.length]);
      const report = scope(() => runner.step(grads));
      if (backend.dispose) for (const grad of Object.values(grads)) backend.dispose(grad);
      return report;
    },
    values: (name) => backend.toValues(runner.params[name] as T),
    evaluationValues: (name) => {
      const evaluation = scope(() => {
        const x = runner.evaluationParams();
        return x === undefined ? undefined : Float32Array.from(backend.toValues(x[name] as T));
      });
      return evaluation ?? backend.toValues(runner.params[name] as T);
    },
  };
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

/** Relative tolerance of the reported learning rates (schedules are float64 math: they agree to rounding). */
export const LEARNING_RATE_TOLERANCE = 1e-12;

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
  /** Where the learning rate was furthest from the case's: the step, the reported and the expected rate. */
  readonly worstLearningRate?: { readonly step: number; readonly actual: number; readonly expected: number } | undefined;
  /** Set when the case could not run (bad spec, backend error). */
  readonly error?: string;
}

/** Runs one case on a backend (either kind). */
export async function runCase(backend: AnyConformanceBackend, c: ConformanceCase, fileTolerance = DEFAULT_TOLERANCE): Promise<CaseResult> {
  const tolerance = c.tolerance ?? fileTolerance;
  let maxError = 0;
  let learningRateError = 0;
  let worst: CaseResult['worst'];
  let worstLearningRate: CaseResult['worstLearningRate'];
  let stepper: Stepper | undefined;
  try {
    const optimizer = optimizerFromJSON(c.optimizer);
    const params: Record<string, { values: Float32Array; shape: readonly number[] }> = {};
    for (const [name, tensor] of Object.entries(c.params)) params[name] = { values: Float32Array.from(tensor.values), shape: tensor.shape };
    stepper = 'createStepper' in backend ? await backend.createStepper({ optimizer, params }) : opsStepper(backend, optimizer, params);
    for (const [step, gradient] of c.gradients.entries()) {
      const grads: Record<string, Float32Array> = {};
      for (const [name, values] of Object.entries(gradient)) grads[name] = Float32Array.from(values);
      const report = await stepper.step(grads);
      const expectedRate = c.learningRates?.[step];
      if (expectedRate !== undefined && report.learningRate !== undefined) {
        const error = relativeError(report.learningRate, expectedRate, Math.abs(expectedRate));
        if (!(error <= learningRateError)) {
          learningRateError = error;
          worstLearningRate = { step, actual: report.learningRate, expected: expectedRate };
        }
      }
      const compare = (
        expected: Readonly<Record<string, readonly number[]>>,
        actualOf: (name: string) => Promise<Float32Array>,
        label: string,
      ) =>
        Promise.all(
          Object.entries(expected).map(async ([name, values]) => {
            const actual = await actualOf(name);
            let scale = 0;
            for (const v of values) scale = Math.max(scale, Math.abs(v));
            values.forEach((v, index) => {
              const error = relativeError(actual[index] as number, v, scale);
              if (!(error <= maxError)) {
                maxError = error;
                worst = { step, param: `${name}${label}`, index };
              }
            });
          }),
        );
      const run = stepper;
      await compare(c.trajectory[step] ?? {}, async (name) => run.values(name), '');
      const evaluation = c.evalTrajectory?.[step];
      if (evaluation !== undefined) {
        const read = run.evaluationValues?.bind(run);
        if (read === undefined)
          throw new Error(`backend ${backend.name} cannot give evaluation parameters (Stepper.evaluationValues), which this case checks`);
        await compare(evaluation, async (name) => read(name), ' (evaluation)');
      }
    }
  } catch (error) {
    return {
      name: c.name,
      passed: false,
      tolerance,
      maxError,
      worst,
      learningRateError,
      worstLearningRate,
      error: (error as Error).message,
    };
  } finally {
    await stepper?.dispose?.();
  }
  const passed = maxError <= tolerance && learningRateError <= LEARNING_RATE_TOLERANCE;
  return { name: c.name, passed, tolerance, maxError, worst, learningRateError, worstLearningRate };
}

/** Runs every case of a file on a backend, one after another. */
export async function runSuite(backend: AnyConformanceBackend, file: ConformanceFile): Promise<CaseResult[]> {
  await backend.prepare?.();
  const results: CaseResult[] = [];
  for (const c of file.cases) results.push(await runCase(backend, c, file.tolerance ?? DEFAULT_TOLERANCE));
  return results;
}

/** A per-case pass/fail table with the largest error (what the CLI prints). */
export function formatResults(backend: string, results: readonly CaseResult[]): string {
  const width = Math.max(4, ...results.map((r) => r.name.length));
  const lines = [`conformance: backend ${backend}, ${results.length} cases`, `${'case'.padEnd(width)}  result  max rel. error  tolerance`];
  for (const r of results) {
    const where = r.worst ? ` (step ${r.worst.step}, ${r.worst.param}[${r.worst.index}])` : '';
    const rate = r.worstLearningRate;
    const why =
      !r.error && rate !== undefined && !(r.learningRateError <= LEARNING_RATE_TOLERANCE)
        ? `  learning rate at step ${rate.step} is ${rate.actual}, expected ${rate.expected} (rel. error ${r.learningRateError.toExponential(2)} > ${LEARNING_RATE_TOLERANCE})`
        : '';
    lines.push(
      `${r.name.padEnd(width)}  ${r.passed ? 'pass' : 'FAIL'}    ${r.maxError.toExponential(2).padStart(13)}  ${r.tolerance.toExponential(0)}${r.error ? `  error: ${r.error}` : `${where}${why}`}`,
    );
  }
  const failed = results.filter((r) => !r.passed).length;
  lines.push(`${results.length - failed} passed, ${failed} failed`);
  return lines.join('\n');
}
