import {
  OptimizerRunner,
  StepsizeError,
  nonFiniteGradientError,
  type Optimizer,
  type OptimizerState,
  type Ops,
  type StepReport,
} from '@stepsize/core';
import { createFastKernels, fastMemoryBytes, float32Ops, type FastKernels } from '@stepsize/engine';
import * as ort from 'onnxruntime-node';
import { OpsTracer, type Traced } from './trace-ops.js';

/**
 * Where the optimizer update runs: `'onnx'` (default) traces core's optimizer
 * math into an ONNX update graph run by ONNX Runtime, with every per-step
 * number (scheduled learning rate, bias corrections) fed as an input; `'engine'`
 * applies the engine's kernels (WebAssembly SIMD for SGD, Adam and AdamW, the
 * reference kernels otherwise, bit-for-bit equal) in place, on parameters,
 * gradients and optimizer state that live in the kernels' memory and are fed
 * to ONNX Runtime (and written by it) with no copy.
 */
export type UpdatePath = 'onnx' | 'engine';

/** A parameter: its float32 values (row-major) and shape. */
export interface ParameterData {
  readonly values: Float32Array;
  readonly shape: readonly number[];
}

/** Options of {@link ParameterUpdater.create}. */
export interface ParameterUpdaterOptions {
  readonly optimizer: Optimizer;
  /** Initial parameters by name (copied). */
  readonly params: Readonly<Record<string, ParameterData>>;
  /** Default `'onnx'`. */
  readonly path?: UpdatePath;
  /** Session options of the update graphs (CPU execution provider). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

interface Compiled {
  readonly session: ort.InferenceSession;
  /** Graph input names (which of the current tensors to feed). */
  readonly inputs: readonly string[];
}

/** The largest fixed WebAssembly memory for the kernels (4 GiB less their 128 KiB of control and scratch). */
const MAX_FIXED_BYTES = 4 * 1024 ** 3 - 128 * 1024;

/** A copy of `values` in the kernels' memory, or an ordinary copy once that memory is full. */
function residentCopy(fast: FastKernels, values: Float32Array): Float32Array {
  try {
    return fast.from(values);
  } catch {
    return Float32Array.from(values);
  }
}

/** Largest number of distinct update graphs kept (least recently used are released). */
const GRAPH_CACHE_SIZE = 8;

/** Ops whose calls go to whichever tracer is current (the runner's ops are fixed at construction). */
function delegatingOps(current: () => OpsTracer): Ops<Traced> {
  const probe = new OpsTracer().ops;
  const ops: Record<string, unknown> = { name: probe.name };
  for (const key of Object.keys(probe) as (keyof Ops<Traced>)[]) {
    if (key === 'name') continue;
    ops[key] = (...args: unknown[]) => (current().ops[key] as (...a: unknown[]) => unknown)(...args);
  }
  return ops as unknown as Ops<Traced>;
}

/**
 * Applies a stepsize optimizer to parameters held as float32 data, with the
 * update run by ONNX Runtime (a traced update graph) or by the engine's
 * kernels. Both follow core's runner exactly: gradient checks, accumulation,
 * clipping, groups, schedules, weight EMA. One step at a time: a second
 * `step` while one is running is refused.
 *
 * @example
 * ```ts
 * const updater = await ParameterUpdater.create({ optimizer: adam({ learningRate: schedule }), params: { w: { values, shape: [4, 3] } } });
 * await updater.step({ w: gradient });
 * updater.values('w');
 * ```
 */
export class ParameterUpdater {
  readonly path: UpdatePath;
  readonly optimizer: Optimizer;
  /** Parameter names, in order. */
  readonly names: readonly string[];
  /** Shapes by parameter name. */
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  /** Host runner: the engine path's runner, and the ONNX path's initial state and state validator. */
  private readonly host: OptimizerRunner<Float32Array>;
  /** Engine path: the kernels and their memory (parameters, gradient buffers and slots live there). */
  private readonly fast: FastKernels | undefined;
  /** Engine path: per-parameter buffers that ONNX Runtime writes gradients into. */
  private readonly gradients: Readonly<Record<string, Float32Array>> | undefined;
  private readonly symbolic: OptimizerRunner<Traced> | undefined;
  private tracer = new OpsTracer();
  private readonly graphs = new Map<string, Promise<Compiled>>();
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;
  /** ONNX path: current tensors by input key (`param:w`, `slot:w:expAvg`, `ema:w`, `accumulated:w`). */
  private data = new Map<string, Float32Array>();
  private running = false;

  private constructor(options: ParameterUpdaterOptions, fast: FastKernels | undefined) {
    const { optimizer, params, path = 'onnx' } = options;
    this.path = path;
    this.fast = fast;
    this.optimizer = optimizer;
    this.sessionOptions = options.sessionOptions ?? {};
    const copies: Record<string, Float32Array> = {};
    const shapes: Record<string, readonly number[]> = {};
    for (const [name, param] of Object.entries(params)) {
      if (!(param?.values instanceof Float32Array))
        throw new StepsizeError(`ParameterUpdater options.params.${name}.values`, 'must be a Float32Array', param?.values);
      const size = (param.shape ?? []).reduce((a, b) => a * b, 1);
      if (!Array.isArray(param.shape) || param.shape.some((d) => !Number.isSafeInteger(d) || d < 1) || size !== param.values.length) {
        throw new StepsizeError(
          `ParameterUpdater options.params.${name}.shape`,
          `must be positive integers whose product is the ${param.values.length} values`,
          param.shape,
        );
      }
      copies[name] = fast ? residentCopy(fast, param.values) : Float32Array.from(param.values);
      shapes[name] = [...param.shape];
    }
    this.host = new OptimizerRunner({
      optimizer,
      ops: fast ? fast.ops : float32Ops,
      params: copies,
      ...(fast && { kernels: fast.kernels }),
    });
    if (fast)
      this.gradients = Object.fromEntries(
        Object.entries(copies).map(([name, values]) => [name, residentCopy(fast, new Float32Array(values.length))]),
      );
    this.names = this.host.names;
    this.shapes = shapes;
    if (path === 'onnx') {
      this.symbolic = new OptimizerRunner({
        optimizer,
        ops: delegatingOps(() => this.tracer),
        params: Object.fromEntries(this.names.map((n) => [n, this.tracer.input(`param:${n}`, shapes[n] as number[])])),
      });
      this.adoptHostState();
    }
  }

  /**
   * Creates an updater. The ONNX path builds its graphs on the first step; the engine
   * path sets up its kernels' memory, sized for the parameters, their gradients and the
   * optimizer's slots.
   */
  static async create(options: ParameterUpdaterOptions): Promise<ParameterUpdater> {
    const path = options.path ?? 'onnx';
    if (path !== 'onnx' && path !== 'engine') throw new StepsizeError('ParameterUpdater options.path', 'must be "onnx" or "engine"', path);
    if (path === 'onnx') return new ParameterUpdater(options, undefined);
    // Count the arrays one parameter needs (itself, its gradient, the optimizer's slots and weight
    // average) on a one-element dry run; arrays beyond the memory fall back to ordinary ones.
    const params = options.params ?? {};
    const dry = new OptimizerRunner({
      optimizer: options.optimizer,
      ops: float32Ops,
      params: Object.fromEntries(Object.keys(params).map((name) => [name, new Float32Array(1)])),
    });
    const perParameter =
      2 +
      Math.max(0, ...Object.values(dry.state.params).map((slots) => Object.keys(slots).length)) +
      (options.optimizer.emaDecay === undefined ? 0 : 1);
    const sizes = Object.values(params).map((param) => (param?.values instanceof Float32Array ? param.values.length : 0));
    let fast: FastKernels;
    try {
      fast = await createFastKernels({
        fixedMemoryBytes: Math.min(fastMemoryBytes(sizes.flatMap((size) => Array<number>(perParameter).fill(size))), MAX_FIXED_BYTES),
      });
    } catch {
      // The memory could not be reserved: the same kernels on ordinary arrays (copied through
      // their scratch area), with equal results.
      fast = await createFastKernels({ threads: 1, fixedMemoryBytes: 0 });
    }
    try {
      return new ParameterUpdater(options, fast);
    } catch (error) {
      await fast.close();
      throw error;
    }
  }

  /**
   * Engine path: buffers (one per parameter, in the kernels' memory) for ONNX Runtime to
   * write gradients into, so that `step(updater.gradientBuffers)` needs no copy. Undefined
   * on the ONNX path.
   */
  get gradientBuffers(): Readonly<Record<string, Float32Array>> | undefined {
    return this.gradients;
  }

  /** Copies the host runner's parameters and state into the ONNX path's tensors. */
  private adoptHostState(): void {
    const state = this.host.state;
    const data = new Map<string, Float32Array>();
    for (const name of this.names) {
      data.set(`param:${name}`, this.host.params[name] as Float32Array);
      for (const [slot, value] of Object.entries(state.params[name] ?? {})) data.set(`slot:${name}:${slot}`, value);
    }
    for (const [name, value] of Object.entries(state.ema)) data.set(`ema:${name}`, value);
    for (const [name, value] of Object.entries(state.accumulated)) data.set(`accumulated:${name}`, value);
    this.data = data;
    const symbolic = this.symbolic as OptimizerRunner<Traced>;
    Object.assign(symbolic.state, {
      step: state.step,
      skipped: state.skipped,
      microStep: state.microStep,
      groups: state.groups.map((g) => ({ ...g })),
    });
  }

  /** Current values of a parameter (do not modify). */
  values(name: string): Float32Array {
    const value = this.path === 'engine' ? this.host.params[name] : this.data.get(`param:${name}`);
    if (value === undefined)
      throw new StepsizeError(`ParameterUpdater.values("${name}")`, `names no parameter (${this.names.join(', ')})`, name);
    return value;
  }

  /** Current parameters as ONNX Runtime tensors over their data (no copy). */
  tensors(): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    for (const name of this.names) out[name] = new ort.Tensor('float32', this.values(name), this.shapes[name] as number[]);
    return out;
  }

  /** Optimizer state (the live arrays: copy before keeping them across steps on the engine path). */
  get state(): OptimizerState<Float32Array> {
    if (this.path === 'engine') return this.host.state;
    const symbolic = (this.symbolic as OptimizerRunner<Traced>).state;
    const params: Record<string, Record<string, Float32Array>> = {};
    const ema: Record<string, Float32Array> = {};
    const accumulated: Record<string, Float32Array> = {};
    for (const [key, value] of this.data) {
      const [kind, name, slot] = key.split(':') as [string, string, string | undefined];
      if (kind === 'slot') (params[name] ??= {})[slot as string] = value;
      else if (kind === 'ema') ema[name] = value;
      else if (kind === 'accumulated') accumulated[name] = value;
    }
    for (const name of this.names) params[name] ??= {};
    return {
      step: symbolic.step,
      skipped: symbolic.skipped,
      microStep: symbolic.microStep,
      groups: symbolic.groups.map((g) => ({ ...g })),
      params,
      accumulated,
      ema,
    };
  }

  /**
   * Restores parameters and optimizer state (from a checkpoint). Everything is
   * checked before anything changes: a state that does not fit raises the
   * runner's error naming the path, and the updater is left as it was.
   */
  load(params: Readonly<Record<string, Float32Array>>, state: OptimizerState<Float32Array>): void {
    this.refuseWhileRunning('load');
    for (const name of this.names) {
      const values = params[name];
      const size = (this.values(name) as Float32Array).length;
      if (!(values instanceof Float32Array) || values.length !== size)
        throw new StepsizeError(`params.${name}`, `must be a Float32Array of ${size} values`, values?.length);
    }
    for (const name of Object.keys(params))
      if (!this.names.includes(name)) throw new StepsizeError(`params.${name}`, `is not a parameter (${this.names.join(', ')})`, name);
    const previous = this.host.state;
    this.host.loadState(state); // validates; throws before anything changed
    for (const name of this.names) (this.host.params[name] as Float32Array).set(params[name] as Float32Array);
    if (this.path === 'onnx') this.adoptHostState();
    else this.adoptLoadedState(previous, state);
  }

  /**
   * Engine path, after a valid `loadState`: the runner holds copies in the kernels' memory
   * (the caller's arrays are neither kept nor changed by later steps). The previous state's
   * arrays are released first, so the copies fit where they were; the loaded values are
   * snapshotted before that, since they may be the previous arrays themselves.
   */
  private adoptLoadedState(previous: OptimizerState<Float32Array>, given: OptimizerState<Float32Array>): void {
    const fast = this.fast as FastKernels;
    const snapshot = (arrays: Readonly<Record<string, Float32Array>>): Record<string, Float32Array> =>
      Object.fromEntries(Object.entries(arrays).map(([key, values]) => [key, Float32Array.from(values)]));
    const loaded = {
      ...given,
      params: Object.fromEntries(Object.entries(given.params).map(([name, slots]) => [name, snapshot(slots)])),
      accumulated: snapshot(given.accumulated),
      ema: snapshot(given.ema),
    };
    const release = (arrays: Readonly<Record<string, Float32Array>>): void => Object.values(arrays).forEach((a) => fast.release(a));
    for (const slots of Object.values(previous.params)) release(slots);
    release(previous.ema);
    const copy = (values: Float32Array): Float32Array => {
      const target = fast.ops.zerosLike(values);
      target.set(values);
      return target;
    };
    const copyAll = (arrays: Readonly<Record<string, Float32Array>>): Record<string, Float32Array> =>
      Object.fromEntries(Object.entries(arrays).map(([key, values]) => [key, copy(values)]));
    this.host.loadState({
      step: loaded.step,
      skipped: loaded.skipped,
      microStep: loaded.microStep,
      groups: loaded.groups.map((g) => ({ ...g })),
      params: Object.fromEntries(Object.entries(loaded.params).map(([name, slots]) => [name, copyAll(slots)])),
      accumulated: loaded.accumulated,
      ema: copyAll(loaded.ema),
    });
  }

  private refuseWhileRunning(what: string): void {
    if (this.running)
      throw new StepsizeError(
        `ParameterUpdater.${what}`,
        'was called while a step is still running: await each step before the next',
        what,
      );
  }

  /** Applies one step of gradients (float32 data by parameter name). */
  async step(gradients: Readonly<Record<string, Float32Array>>): Promise<StepReport> {
    this.refuseWhileRunning('step');
    this.running = true;
    try {
      for (const [name, gradient] of Object.entries(gradients)) {
        const size = this.shapes[name]?.reduce((a, b) => a * b, 1);
        if (size !== undefined && (!(gradient instanceof Float32Array) || gradient.length !== size)) {
          throw new StepsizeError(`gradients.${name}`, `must be a Float32Array of ${size} values like the parameter`, gradient?.length);
        }
      }
      return this.path === 'engine' ? this.host.step(gradients) : await this.onnxStep(gradients);
    } finally {
      this.running = false;
    }
  }

  private async onnxStep(gradients: Readonly<Record<string, Float32Array>>): Promise<StepReport> {
    const symbolic = this.symbolic as OptimizerRunner<Traced>;
    const tracer = new OpsTracer();
    this.tracer = tracer;
    const state = symbolic.state;
    const shaped = (key: string, name: string): Traced => tracer.input(key, this.shapes[name] as number[]);
    state.params = {};
    state.ema = {};
    state.accumulated = {};
    for (const [key] of this.data) {
      const [kind, name, slot] = key.split(':') as [string, string, string | undefined];
      if (kind === 'param') symbolic.params[name] = shaped(key, name);
      else if (kind === 'slot') (state.params[name] ??= {})[slot as string] = shaped(key, name);
      else if (kind === 'ema') state.ema[name] = shaped(key, name);
      else state.accumulated[name] = shaped(key, name);
    }
    for (const name of this.names) state.params[name] ??= {};
    const grads: Record<string, Traced> = {};
    for (const [name, gradient] of Object.entries(gradients))
      grads[name] = tracer.input(`grad:${name}`, this.shapes[name] ?? [gradient.length]);
    const before = { step: state.step, skipped: state.skipped, microStep: state.microStep, groups: state.groups.map((g) => ({ ...g })) };
    const report = symbolic.step(grads);
    // What the step produced, by the key it replaces (values that are still their own input are unchanged).
    const produced: Record<string, Traced> = {};
    const keep = (key: string, value: Traced | undefined): void => {
      if (value !== undefined && tracer.inputKey(value) !== key) produced[key] = value;
    };
    for (const name of this.names) {
      keep(`param:${name}`, symbolic.params[name]);
      for (const [slot, value] of Object.entries(state.params[name] ?? {})) keep(`slot:${name}:${slot}`, value);
    }
    for (const [name, value] of Object.entries(state.ema)) keep(`ema:${name}`, value);
    for (const [name, value] of Object.entries(state.accumulated)) keep(`accumulated:${name}`, value);
    const compiled = await this.compiled(tracer, produced);
    const feeds: Record<string, ort.Tensor> = {};
    for (const key of compiled.inputs) {
      if (key === 'scalars') {
        feeds[key] = new ort.Tensor('float32', Float32Array.from(tracer.scalarValues), [tracer.scalarValues.length]);
        continue;
      }
      const gradient = key.startsWith('grad:') ? gradients[key.slice(5)] : undefined;
      const values = gradient ?? this.data.get(key);
      if (values === undefined) throw new Error(`update graph input ${key} has no value`);
      const name = key.split(':')[1] as string;
      feeds[key] = new ort.Tensor('float32', values, this.shapes[name] as number[]);
    }
    const results = await compiled.session.run(feeds);
    const nonFinite = tracer.probes.some((_, i) => !Number.isFinite((results[`probe${i}`]?.data as Float32Array)[0] as number));
    if (nonFinite) {
      const bad = this.firstNonFinite(gradients);
      if (bad !== undefined) {
        Object.assign(state, before);
        if (this.optimizer.nonFinite === 'skip') {
          state.skipped += 1;
          return { outcome: 'skipped', step: state.step, learningRate: undefined };
        }
        throw nonFiniteGradientError(bad.name, bad.index);
      }
    }
    for (const key of Object.keys(produced)) this.data.set(key, results[`out:${key}`]?.data as Float32Array);
    return report;
  }

  private firstNonFinite(gradients: Readonly<Record<string, Float32Array>>): { name: string; index: number } | undefined {
    for (const name of this.names) {
      const index = float32Ops.firstNonFinite(gradients[name] as Float32Array);
      if (index >= 0) return { name, index };
    }
    return undefined;
  }

  private async compiled(tracer: OpsTracer, produced: Readonly<Record<string, Traced>>): Promise<Compiled> {
    const outputs: Record<string, Traced> = {};
    for (const [key, value] of Object.entries(produced)) outputs[`out:${key}`] = value;
    const signature = tracer.signature(outputs);
    let entry = this.graphs.get(signature);
    if (entry === undefined) {
      const keys = new Set<string>(['scalars']);
      for (const key of this.data.keys()) keys.add(key);
      for (const name of this.names) keys.add(`grad:${name}`);
      const inputNames = Object.fromEntries([...keys].map((k) => [k, k]));
      const model = tracer.toModel(inputNames, outputs);
      entry = ort.InferenceSession.create(model, { executionProviders: ['cpu'], ...this.sessionOptions }).then((session) => ({
        session,
        inputs: session.inputNames,
      }));
      this.graphs.set(signature, entry);
      if (this.graphs.size > GRAPH_CACHE_SIZE) {
        const [oldest, evicted] = this.graphs.entries().next().value as [string, Promise<Compiled>];
        this.graphs.delete(oldest);
        void evicted.then((c) => c.session.release());
      }
    } else {
      this.graphs.delete(signature);
      this.graphs.set(signature, entry);
    }
    return entry;
  }

  /** Number of distinct update graphs built so far (kept up to 8). */
  get graphCount(): number {
    return this.graphs.size;
  }

  /** Releases the update graphs' sessions (and the engine path's kernels). */
  async release(): Promise<void> {
    await this.fast?.close();
    const graphs = [...this.graphs.values()];
    this.graphs.clear();
    for (const graph of graphs) await (await graph).session.release();
  }
}
