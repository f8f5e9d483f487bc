import type { KernelTable } from './kernels.js';
import type { Optimizer } from './optimizer.js';
import type { Ops } from './ops.js';
import type { OptimizerState } from './state.js';
import { type CompiledOptimizer, compileOptimizer, type StepReport } from './step.js';

/** Options of {@link OptimizerRunner}. */
export interface RunnerOptions<T> {
  readonly optimizer: Optimizer;
  readonly ops: Ops<T>;
  /** Parameters by name, in a fixed order. */
  readonly params: Readonly<Record<string, T>>;
  /** Fused kernels (optional): used instead of the generic math where the table has the optimizer's type. */
  readonly kernels?: KernelTable<T>;
  /**
   * Parameter shapes by name, for optimizers whose math reads them (Muon, Adafactor) on
   * backends with flat tensors (the engine): `{ w: [784, 256], b: [256] }`.
   */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
}

/**
 * A stateful convenience over the pure step ({@link compileOptimizer}): it keeps
 * the parameters and the state between calls, for users who want `step(gradients)`.
 * Everything it does is the compiled optimizer's `update`.
 *
 * @example
 * ```ts
 * const runner = new OptimizerRunner({ optimizer: adamW({ learningRate: 1e-3 }), ops: float32Ops, params: { w, b } });
 * runner.step({ w: gradW, b: gradB });
 * ```
 */
export class OptimizerRunner<T> {
  readonly optimizer: Optimizer;
  readonly ops: Ops<T>;
  /** The pure step this runner calls. */
  readonly compiled: CompiledOptimizer;
  /** Current parameters by name. */
  readonly params: Record<string, T>;
  readonly names: readonly string[];
  private readonly kernels: KernelTable<T> | undefined;
  private current: OptimizerState<T>;

  constructor(options: RunnerOptions<T>) {
    const { optimizer, ops, params } = options;
    this.optimizer = optimizer;
    this.ops = ops;
    this.kernels = options.kernels;
    this.compiled = compileOptimizer(optimizer);
    this.params = { ...params };
    this.names = Object.keys(params);
    this.current = this.compiled.init(ops, this.params, { shapes: options.shapes });
  }

  /** The state (live tensors; serialize with {@link stateToJSON}). */
  get state(): OptimizerState<T> {
    return this.current;
  }

  /** Replaces the state (from a checkpoint); checks that it fits these parameters first. */
  loadState(state: OptimizerState<T>): void {
    this.compiled.checkState(this.ops, this.params, state);
    this.current = state;
  }

  /** The learning rate the next update will use (see {@link StepReport.learningRate}). */
  get learningRate(): number {
    return this.compiled.learningRatesAt(this.current.step).learningRate;
  }

  /**
   * The parameters to evaluate at, when the optimizer trains at other ones (schedule-free's
   * `x`); undefined otherwise. New tensors: the parameters are not changed.
   *
   * @example
   * ```ts
   * const runner = new OptimizerRunner({ optimizer: scheduleFreeAdamW(), ops: float32Ops, params });
   * runner.step(gradients);
   * const x = runner.evaluationParams() ?? runner.params;
   * ```
   */
  evaluationParams(): Record<string, T> | undefined {
    return this.compiled.evaluationParams(this.ops, this.params, this.current);
  }

  /** Applies one gradient (one micro-step when accumulating). */
  step(gradients: Readonly<Record<string, T>>): StepReport {
    const result = this.compiled.update(this.ops, { params: this.params, gradients, state: this.current, kernels: this.kernels });
    Object.assign(this.params, result.params);
    this.current = result.state;
    return result.report;
  }
}
