import type { Ops } from './ops.js';

/** Per-parameter state slots (moment estimates, accumulators), by slot name. */
export type Slots<T> = Record<string, T>;

/** What an update step reads. */
export interface UpdateInput<T, H, K extends string> {
  readonly ops: Ops<T>;
  /** This step's scalars, made with `ops.scalar` from {@link OptimizerMath.scalars}. */
  readonly s: Readonly<Record<K, T>>;
  /** Structural options (flags that change the shape of the computation). */
  readonly h: H;
  readonly param: T;
  readonly grad: T;
  readonly slots: Readonly<Slots<T>>;
  /**
   * The parameter's shape (row-major): the tensor's own, or the one given to `init` on
   * backends with flat storage; `[size]` when neither is known and the math does not read it.
   */
  readonly shape: readonly number[];
  /** The group's values of this step from {@link OptimizerMath.share} (DoG's step size); only with `share`. */
  readonly shared?: Readonly<Record<string, T>>;
}

/** What an update step produces: the new parameter and the new slots. */
export interface UpdateOutput<T> {
  readonly param: T;
  readonly slots: Slots<T>;
  /**
   * Scalars this parameter adds to its group's sums (Prodigy: `g · (p0 - p)` and `Σ |s|`),
   * for {@link OptimizerMath.absorb}. Only with `absorb`.
   */
  readonly reduce?: Readonly<Record<string, T>>;
}

/** Host-side numbers an optimizer carries across steps (e.g. NAdam's momentum product). */
export type HostState = Record<string, number>;

/**
 * The math of one optimizer, written once:
 * - `scalars` turns this step's hyperparameters (schedules already evaluated)
 *   and the 1-based step count into the numbers the update needs (bias
 *   corrections, step sizes), in float64 on the host, as PyTorch does in Python;
 * - `update` is the elementwise rule over any backend's {@link Ops}.
 *
 * `H` is the resolved hyperparameters: numbers for this step plus flags; `K` the
 * names of the scalars; `S` the names of the slots. The structure of `update` (which
 * operations run) may depend on the flags of `H` only, never on a number: one traced
 * graph then serves every step (tested for every built-in optimizer).
 */
export interface OptimizerMath<H, K extends string = string, S extends string = string> {
  /** Slot names of a parameter of this shape, in a fixed order. */
  slots(h: H, shape: readonly number[]): readonly S[];
  /** Fresh slots for a parameter. */
  init<T>(ops: Ops<T>, param: T, h: H, shape: readonly number[]): Slots<T>;
  /**
   * True when the math reads parameter shapes (Muon's matrices, Adafactor's factored
   * moments): the state then records every parameter's shape, and backends with flat
   * storage must be given them.
   */
  readonly shaped?: boolean;
  /**
   * The shape of each slot of a parameter of `shape`, when some differ from it (Adafactor's
   * row and column factors). Absent: every slot has the parameter's shape.
   */
  slotShapes?(h: H, shape: readonly number[]): Readonly<Record<string, readonly number[]>>;
  /** Fresh host state. */
  initHost?(h: H): HostState;
  /**
   * This step's scalars (and the next host state). `step` counts updates, starting at 1;
   * `upcoming()` resolves the hyperparameters of the next update (schedules evaluated one
   * step on), for optimizers whose convention reads them (schedule-free's weights).
   */
  scalars(h: H, step: number, host: HostState, upcoming: () => H): { values: Record<K, number>; host: HostState };
  /** The elementwise update. */
  update<T>(input: UpdateInput<T, H, K>): UpdateOutput<T>;
  /**
   * The next host state from this step's sums over the group's parameters (each
   * {@link UpdateOutput.reduce} added up, read back to the host): for optimizers that
   * estimate their own step size from the data (Prodigy, D-Adaptation). `h` is this
   * step's; `host` the state `scalars` returned.
   */
  absorb?(h: H, host: HostState, totals: Readonly<Record<string, number>>): HostState;
  /**
   * A parameter's contributions to its group's sums before the update (DoG: `‖p0 - p‖²`,
   * `‖g‖²`), for {@link OptimizerMath.share}. Only with `share`.
   */
  prepare?<T>(input: UpdateInput<T, H, K>): Readonly<Record<string, T>>;
  /**
   * The group's values of this step, on the backend, from the summed `prepare`
   * contributions (DoG's step size from the distance travelled and the gradients so far):
   * given to every parameter's `update` as `shared`, and read back with the `reduce` sums
   * for `absorb`.
   */
  share?<T>(input: {
    readonly ops: Ops<T>;
    readonly s: Readonly<Record<K, T>>;
    readonly h: H;
    readonly totals: Readonly<Record<string, T>>;
  }): Record<string, T>;
  /**
   * The parameters to evaluate at, when they differ from the ones gradients are taken at
   * (schedule-free's `x`, from `y` and the slots). Absent: evaluate at the parameters.
   */
  evaluate?<T>(input: { readonly ops: Ops<T>; readonly h: H; readonly param: T; readonly slots: Readonly<Slots<T>> }): T;
}
