import {
  checkParameterValues,
  compileOptimizer,
  mapState,
  stateTensors,
  StepsizeError,
  type CompiledOptimizer,
  type KernelTable,
  type Optimizer,
  type OptimizerState,
  type Ops,
  type StepPlan,
  type StepReport,
} from '@stepsize/core';
import { createFastKernels, type FastKernels, float32Ops, optimizerMemoryBytes } from '@stepsize/engine';
import type * as ort from 'onnxruntime-node';
import { byName, own, type ParameterData, readParameterData } from '../parameters.js';
import { createSession } from '../onnx/session.js';
import { SessionCache } from '../onnx/session-cache.js';
import { runUpdateGraph } from '../onnx/update-graph-run.js';
import { type TracedUpdate, traceUpdate } from './trace-update.js';

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

interface UpdateGraph {
  readonly traced: TracedUpdate;
  readonly session: ort.InferenceSession;
}

/** A copy of `values` in the kernels' memory, or an ordinary copy once that memory is full. */
function residentCopy(fast: FastKernels, values: Float32Array): Float32Array {
  try {
    return fast.from(values);
  } catch {
    return Float32Array.from(values);
  }
}

/** Where the parameters' errors point. */
const PARAMS = 'ParameterUpdater options.params';

/** Largest number of distinct update graphs kept (least recently used are released). */
const GRAPH_CACHE_SIZE = 8;

/**
 * Applies a stepsize optimizer to parameters held as float32 data, with the
 * update run by ONNX Runtime (core's step traced into an ONNX graph, once per
 * step structure) or by the engine's kernels. Both run core's pure step: gradient
 * checks and the non-finite policy, accumulation, clipping, groups, schedules, the
 * weight EMA. One step at a time: a second `step` while one is running is refused.
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
  /** The pure step both paths run. */
  readonly compiled: CompiledOptimizer;
  /** Parameter names, in order. */
  readonly names: readonly string[];
  /** Shapes by parameter name. */
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  /** Engine path: the kernels and their memory (parameters, gradient buffers and slots live there). */
  private readonly fast: FastKernels | undefined;
  private readonly ops: Ops<Float32Array>;
  private readonly kernels: KernelTable | undefined;
  /**
   * Engine path: buffers (one per parameter, in the kernels' memory) for ONNX Runtime to
   * write gradients into, so that `step(updater.gradientBuffers)` needs no copy. Undefined
   * on the ONNX path.
   */
  readonly gradientBuffers: Readonly<Record<string, Float32Array>> | undefined;
  private readonly graphs = new SessionCache<UpdateGraph>(GRAPH_CACHE_SIZE);
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;
  private params: Record<string, Float32Array>;
  private current: OptimizerState<Float32Array>;
  private running = false;

  private constructor(options: ParameterUpdaterOptions, fast: FastKernels | undefined) {
    const { optimizer, params, path = 'onnx' } = options;
    this.path = path;
    this.fast = fast;
    this.optimizer = optimizer;
    this.compiled = compileOptimizer(optimizer);
    this.sessionOptions = options.sessionOptions ?? {};
    this.ops = fast ? fast.ops : float32Ops;
    this.kernels = fast?.kernels;
    const copies = byName<Float32Array>();
    const shapes = byName<readonly number[]>();
    for (const [name, param] of Object.entries(readParameterData(params, PARAMS))) {
      copies[name] = fast ? residentCopy(fast, param.values) : Float32Array.from(param.values);
      shapes[name] = [...param.shape];
    }
    this.params = copies;
    this.current = this.compiled.init(this.ops, copies, { shapes });
    if (fast)
      this.gradientBuffers = byName(
        Object.entries(copies).map(([name, values]) => [name, residentCopy(fast, new Float32Array(values.length))] as const),
      );
    this.names = Object.keys(copies);
    this.shapes = shapes;
  }

  /**
   * Creates an updater. The ONNX path builds its graphs on the first step of each
   * structure; the engine path sets up its kernels' memory, sized for the parameters,
   * their gradients and the optimizer's slots.
   */
  static async create(options: ParameterUpdaterOptions): Promise<ParameterUpdater> {
    const path = options.path ?? 'onnx';
    if (path !== 'onnx' && path !== 'engine') throw new StepsizeError('ParameterUpdater options.path', 'must be "onnx" or "engine"', path);
    // Checked before anything uses the names or sizes (the constructor reads them again).
    const params = readParameterData(options.params, PARAMS);
    if (path === 'onnx') return new ParameterUpdater(options, undefined);
    const sizes = Object.fromEntries(Object.entries(params).map(([name, param]) => [name, param.values.length]));
    const shapes = Object.fromEntries(Object.entries(params).map(([name, param]) => [name, param.shape]));
    // Parameters, gradients and optimizer state resident; when that memory cannot be reserved, the same
    // kernels on ordinary arrays (copied through their scratch area), with equal results.
    const fast = await createFastKernels({ fixedMemoryBytes: optimizerMemoryBytes({ optimizer: options.optimizer, sizes, shapes }) }).catch(
      () => createFastKernels({ threads: 1, fixedMemoryBytes: 0 }),
    );
    try {
      return new ParameterUpdater(options, fast);
    } catch (error) {
      await fast.close();
      throw error;
    }
  }

  /** Current values of a parameter (do not modify). */
  values(name: string): Float32Array {
    if (!Object.hasOwn(this.shapes, name))
      throw new StepsizeError(`ParameterUpdater.values("${name}")`, `names no parameter (${this.names.join(', ')})`, name);
    return this.params[name] as Float32Array;
  }

  /**
   * The values to evaluate a parameter at: schedule-free's `x` (computed from the
   * parameters and the state, on the host), the parameter itself for other optimizers.
   */
  evaluationValues(name: string): Float32Array {
    const values = this.values(name);
    const evaluation = this.compiled.evaluationParams(float32Ops, this.params, this.current);
    return evaluation?.[name] ?? values;
  }

  /** Optimizer state (the live arrays: copy before keeping them across steps). */
  get state(): OptimizerState<Float32Array> {
    return this.current;
  }

  /**
   * Restores parameters, optimizer state or both (from a checkpoint), as copies; what is
   * left out stays. Everything is checked before anything changes: a state that does not
   * fit raises core's error naming the path, and the updater is left as it was.
   */
  load(restored: {
    readonly params?: Readonly<Record<string, Float32Array>> | undefined;
    readonly state?: OptimizerState<Float32Array> | undefined;
  }): void {
    this.refuseWhileRunning('load');
    const { params = this.params, state = this.current } = restored;
    checkParameterValues(params, this.shapes, 'params');
    this.compiled.checkState(this.ops, this.params, state);
    // Copies first: the given arrays may be this updater's own, released just below.
    const loaded = mapState(state, (values) => Float32Array.from(values));
    const values = this.names.map((name) => Float32Array.from(params[name] as Float32Array));
    const fast = this.fast;
    if (fast) for (const array of stateTensors(this.current)) fast.release(array);
    this.names.forEach((name, i) => {
      (this.params[name] as Float32Array).set(values[i] as Float32Array);
    });
    // The engine path keeps the state in the kernels' memory.
    this.current = fast ? mapState(loaded, (array) => residentCopy(fast, array)) : loaded;
  }

  private refuseWhileRunning(what: string): void {
    if (this.running) {
      throw new StepsizeError(
        `ParameterUpdater.${what}`,
        'was called while a step is still running: await each step before the next',
        what,
      );
    }
  }

  /** Applies one step of gradients (float32 data by parameter name). */
  async step(gradients: Readonly<Record<string, Float32Array>>): Promise<StepReport> {
    this.refuseWhileRunning('step');
    this.running = true;
    try {
      for (const [name, gradient] of Object.entries(gradients)) {
        if (!(gradient instanceof Float32Array)) throw new StepsizeError(`gradients.${name}`, 'must be a Float32Array', gradient);
      }
      this.compiled.check(this.ops, { params: this.params, gradients, state: this.current });
      if (this.path === 'onnx') return await this.onnxStep(gradients);
      const result = this.compiled.update(this.ops, { params: this.params, gradients, state: this.current, kernels: this.kernels });
      this.params = result.params;
      this.current = result.state;
      return result.report;
    } finally {
      this.running = false;
    }
  }

  private async onnxStep(gradients: Readonly<Record<string, Float32Array>>): Promise<StepReport> {
    const state = this.current;
    const plan = this.compiled.plan(state);
    const { traced, session } = await this.graph(plan);
    const named = { param: this.params, grad: gradients, accumulated: state.accumulated, ema: state.ema };
    const run = await runUpdateGraph({
      session,
      traced,
      scalars: plan.scalars,
      tensorValues: (tensor) =>
        tensor.kind === 'slot' ? own(state.params, tensor.name)?.[tensor.slot] : own(named[tensor.kind], tensor.name),
    });
    // The non-finite policy is core's: the probe is data read after the run.
    if (traced.probe && this.compiled.verdict(Number.isFinite(run.probe), float32Ops, gradients) === 'skip') {
      const skipped = this.compiled.skip(state);
      this.current = skipped.state;
      return skipped.report;
    }
    const copy = <T>(record: Readonly<Record<string, T>>): Record<string, T> => byName(Object.entries(record));
    const slots = byName(Object.entries(state.params).map(([name, slotsOf]) => [name, { ...slotsOf }] as const));
    const next = { param: copy(this.params), accumulated: copy(state.accumulated), ema: copy(state.ema) };
    traced.outputs.forEach((tensor, i) => {
      const values = run.outputs[i] as Float32Array;
      if (tensor.kind === 'slot') (slots[tensor.name] as Record<string, Float32Array>)[tensor.slot] = values;
      else if (tensor.kind !== 'grad') next[tensor.kind][tensor.name] = values;
    });
    const { param: params, accumulated, ema } = next;
    this.params = params;
    const executed = {
      ...plan.next,
      skipped: state.skipped,
      params: slots,
      accumulated,
      ema,
      ...(state.shapes && { shapes: state.shapes }),
    };
    // The group sums an optimizer's host state follows (Prodigy, D-Adaptation), read from the graph.
    const totals: Record<string, number>[] = [];
    traced.reductions.forEach(({ group, name }, i) => {
      totals[group] = { ...totals[group], [name]: run.sums[i] as number };
    });
    this.current = traced.reductions.length === 0 ? executed : this.compiled.absorb(plan, executed, totals);
    return plan.report;
  }

  /** The update graph of a plan's structure, traced and loaded once (at most 8 are kept). */
  private graph(plan: StepPlan): Promise<UpdateGraph> {
    return this.graphs.get(plan.structure, async () => {
      const traced = traceUpdate({ compiled: this.compiled, plan, shapes: this.shapes, state: this.current });
      const session = await createSession(traced.model, this.sessionOptions, {
        options: 'ParameterUpdater options',
        model: 'ParameterUpdater update graph',
        what: `the update graph of ${plan.structure}`,
      });
      return { traced, session };
    });
  }

  /** Number of distinct update graphs built so far (kept up to 8). */
  get graphCount(): number {
    return this.graphs.size;
  }

  /** Releases the update graphs' sessions (and the engine path's kernels). */
  async dispose(): Promise<void> {
    await this.fast?.close();
    await this.graphs.release();
  }
}
