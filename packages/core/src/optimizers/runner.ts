import { StepsizeError } from '../errors.js';
import { fail, isPlainObject } from '../schedules/options.js';
import type { HostState, Slots } from './definition.js';
import { evaluateHyperparameter, groupValuesAt, type Optimizer } from './optimizer.js';
import type { Ops } from './ops.js';

/**
 * An in-place update a backend may provide for one optimizer: it must produce
 * exactly what the generic composition produces (backends prove it in tests).
 * It writes the new parameter and slots into the given tensors.
 */
export type FusedKernel<T> = (args: {
  readonly param: T;
  readonly grad: T;
  readonly slots: Slots<T>;
  readonly scalars: Readonly<Record<string, number>>;
  readonly hyper: unknown;
}) => void;

/** Chooses a fused kernel for an optimizer type and its structural options, if the backend has one. */
export type KernelProvider<T> = (type: string, hyper: unknown) => FusedKernel<T> | undefined;

/** Optimizer state: plain data keyed by parameter name, with integer counters. */
export interface OptimizerState<T> {
  /** Updates applied so far. */
  step: number;
  /** Steps skipped because of non-finite gradients (`nonFinite: 'skip'`). */
  skipped: number;
  /** Micro-steps accumulated towards the next update (`accumulationSteps`). */
  microStep: number;
  /** Host-side numbers per group (e.g. NAdam's momentum product), in group order. */
  groups: HostState[];
  /** Slots per parameter. */
  params: Record<string, Slots<T>>;
  /** Accumulated gradients (meaningful while `microStep > 0`). */
  accumulated: Record<string, T>;
  /** Exponential moving average of the weights (`emaDecay`). */
  ema: Record<string, T>;
}

/** What one call of {@link OptimizerRunner.step} did. */
export interface StepReport {
  /** `'updated'`, `'accumulated'` (a micro-step) or `'skipped'` (non-finite gradient). */
  readonly outcome: 'updated' | 'accumulated' | 'skipped';
  /** The update count after the call. */
  readonly step: number;
  /** Learning rate of the first group used by this update (undefined unless updated). */
  readonly learningRate: number | undefined;
}

/**
 * The error a step with a non-finite gradient raises under `nonFinite: 'throw'`
 * (path `gradients.<name>[<index>]`); backends that detect it themselves raise
 * the same one.
 */
export function nonFiniteGradientError(name: string, index: number): StepsizeError {
  return new StepsizeError(
    `gradients.${name}[${index}]`,
    "is not finite: the step was refused and nothing changed (use nonFinite: 'skip' to skip such steps)",
    index,
  );
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Options of {@link OptimizerRunner}. */
export interface RunnerOptions<T> {
  readonly optimizer: Optimizer;
  readonly ops: Ops<T>;
  /** Parameters by name, in a fixed order. */
  readonly params: Readonly<Record<string, T>>;
  /** Fused kernels (optional): used instead of the generic composition where provided. */
  readonly kernels?: KernelProvider<T>;
}

/**
 * Runs an optimizer with any backend's primitives: gradient checks,
 * accumulation, clipping, per-group hyperparameters and schedules, the update
 * and the weight EMA. All formulas come from the optimizer's math and the
 * {@link Ops}; a backend only supplies primitives (and optionally fused kernels).
 *
 * @example
 * ```ts
 * const runner = new OptimizerRunner({ optimizer: adamW({ learningRate: 1e-3 }), ops, params: { w, b } });
 * runner.step({ w: gradW, b: gradB });
 * ```
 */
export class OptimizerRunner<T> {
  readonly optimizer: Optimizer;
  readonly ops: Ops<T>;
  /** Current parameters by name. */
  readonly params: Record<string, T>;
  readonly names: readonly string[];
  /** Group index of each parameter. */
  readonly groupOf: Readonly<Record<string, number>>;
  /** Parameter names of each group, in group order. */
  private readonly members: readonly (readonly string[])[];
  private readonly kernels: KernelProvider<T> | undefined;
  private current: OptimizerState<T>;

  constructor(options: RunnerOptions<T>) {
    const { optimizer, ops, params } = options;
    this.optimizer = optimizer;
    this.ops = ops;
    this.kernels = options.kernels;
    this.params = { ...params };
    this.names = Object.keys(params);
    if (this.names.length === 0) fail('OptimizerRunner options.params', 'must name at least one parameter', params);
    const patterns = optimizer.groups.map((g) => g.params.map(globToRegExp));
    optimizer.groups.forEach((group, i) => {
      if (i === optimizer.groups.length - 1) return;
      group.params.forEach((pattern, j) => {
        if (!this.names.some((name) => (patterns[i]?.[j] as RegExp).test(name))) {
          fail(
            `${optimizer.type} options.groups[${i}].params[${j}]`,
            `matches no parameter; parameters: ${this.names.join(', ')}`,
            pattern,
          );
        }
      });
    });
    optimizer.decoupledWeightDecayExclude.forEach((pattern, j) => {
      if (!this.names.some((name) => globToRegExp(pattern).test(name))) {
        fail(
          `${optimizer.type} options.decoupledWeightDecayExclude[${j}]`,
          `matches no parameter; parameters: ${this.names.join(', ')}`,
          pattern,
        );
      }
    });
    const groupOf: Record<string, number> = {};
    for (const name of this.names) {
      groupOf[name] = patterns.findIndex((list) => list.some((re) => re.test(name)));
    }
    this.groupOf = groupOf;
    this.members = optimizer.groups.map((_, i) => this.names.filter((name) => groupOf[name] === i));
    this.current = this.freshState();
  }

  private hyperAt(groupIndex: number, step: number): unknown {
    const definition = this.optimizer.definition;
    const group = this.optimizer.groups[groupIndex];
    if (group === undefined) throw new Error(`no group ${groupIndex}`);
    return definition.hyper(groupValuesAt(definition, group, step), group.options);
  }

  private freshState(): OptimizerState<T> {
    const { definition } = this.optimizer;
    const math = definition.math;
    const persist = (x: T): T => (this.ops.persist ? this.ops.persist(x) : x);
    const params: Record<string, Slots<T>> = {};
    for (const name of this.names) {
      const slots = math.init(this.ops, this.params[name] as T, this.hyperAt(this.groupOf[name] as number, 0));
      for (const key of Object.keys(slots)) slots[key] = persist(slots[key] as T);
      params[name] = slots;
    }
    const ema: Record<string, T> = {};
    if (this.optimizer.emaDecay !== undefined) {
      for (const name of this.names) ema[name] = persist(this.ops.add(this.params[name] as T, this.ops.scalar(0)));
    }
    return {
      step: 0,
      skipped: 0,
      microStep: 0,
      groups: this.optimizer.groups.map((_, i) => math.initHost?.(this.hyperAt(i, 0)) ?? {}),
      params,
      accumulated: {},
      ema,
    };
  }

  /** The state (live tensors; serialize with {@link stateToJSON}). */
  get state(): OptimizerState<T> {
    return this.current;
  }

  /** Replaces the state (from a checkpoint); checks that it fits these parameters. */
  loadState(state: OptimizerState<T>): void {
    const slotNames = (name: string): readonly string[] =>
      this.optimizer.definition.math.slots(this.hyperAt(this.groupOf[name] as number, 0));
    for (const name of this.names) {
      const slots = state.params[name];
      if (slots === undefined) fail(`state.params.${name}`, 'is missing: the checkpoint does not fit these parameters', undefined);
      const size = this.ops.size(this.params[name] as T);
      for (const slot of slotNames(name)) {
        const value = slots[slot];
        if (value === undefined) fail(`state.params.${name}.${slot}`, 'is missing', undefined);
        if (this.ops.size(value) !== size) {
          fail(`state.params.${name}.${slot}`, `must have ${size} elements like the parameter`, this.ops.size(value));
        }
      }
      const average = state.ema[name];
      if (this.optimizer.emaDecay !== undefined && (average === undefined || this.ops.size(average) !== size)) {
        fail(`state.ema.${name}`, `must hold ${size} elements (the optimizer keeps a weight EMA)`, average);
      }
    }
    for (const name of Object.keys(state.params)) {
      if (!this.names.includes(name)) fail(`state.params.${name}`, `is not a parameter of this runner (${this.names.join(', ')})`, name);
    }
    if (state.groups.length !== this.optimizer.groups.length) {
      fail('state.groups', `must have ${this.optimizer.groups.length} entries (one per group)`, state.groups);
    }
    this.current = state;
  }

  private checkGradients(grads: Readonly<Record<string, T>>): boolean {
    for (const name of Object.keys(grads)) {
      if (!this.names.includes(name)) fail(`gradients.${name}`, `is not a parameter (${this.names.join(', ')})`, name);
    }
    for (const name of this.names) {
      if (grads[name] === undefined) fail(`gradients.${name}`, 'is missing: every parameter needs a gradient', undefined);
    }
    if (this.optimizer.nonFinite === 'propagate') return true;
    let total: T | undefined;
    const probe = this.ops.nonFiniteProbe ?? this.ops.sum;
    for (const name of this.names) {
      const sum = probe.call(this.ops, grads[name] as T);
      total = total === undefined ? sum : this.ops.add(total, sum);
    }
    // One check of one scalar (one read-back on device backends): the sum of every gradient
    // element is finite unless some element is not (or the sum overflows; then the scan below
    // finds nothing and the step goes ahead).
    if (this.ops.firstNonFinite(total as T) < 0) return true;
    for (const name of this.names) {
      const index = this.ops.firstNonFinite(grads[name] as T);
      if (index < 0) continue;
      if (this.optimizer.nonFinite === 'skip') return false;
      throw nonFiniteGradientError(name, index);
    }
    return true;
  }

  /** Applies one gradient (one micro-step when accumulating). */
  step(grads: Readonly<Record<string, T>>): StepReport {
    const { ops, optimizer } = this;
    const state = this.current;
    if (!this.checkGradients(grads)) {
      state.skipped += 1;
      return { outcome: 'skipped', step: state.step, learningRate: undefined };
    }
    let g: Record<string, T> = { ...grads };
    const k = optimizer.accumulationSteps;
    if (k > 1) {
      // Accumulators are kept across cycles (and written with assign) so backends with
      // long-lived storage allocate them once; they are meaningful while microStep > 0.
      for (const name of this.names) {
        const previous = state.accumulated[name];
        const restart = previous === undefined || state.microStep === 0;
        const sum = restart ? ops.add(g[name] as T, ops.scalar(0)) : ops.add(previous, g[name] as T);
        state.accumulated[name] = previous === undefined ? (ops.persist ? ops.persist(sum) : sum) : ops.assign(previous, sum);
      }
      state.microStep += 1;
      if (state.microStep < k) return { outcome: 'accumulated', step: state.step, learningRate: undefined };
      const inverse = ops.scalar(1 / k);
      g = {};
      for (const name of this.names) g[name] = ops.mul(state.accumulated[name] as T, inverse);
      state.microStep = 0;
    }
    if (optimizer.clipGradientValue !== undefined) {
      const high = ops.scalar(optimizer.clipGradientValue);
      const low = ops.scalar(-optimizer.clipGradientValue);
      for (const name of this.names) g[name] = ops.minimum(ops.maximum(g[name] as T, low), high);
    }
    if (optimizer.clipGradientNorm !== undefined) {
      // PyTorch clip_grad_norm_: coef = min(maxNorm / (‖g‖ + 1e-6), 1), always applied.
      let total: T | undefined;
      for (const name of this.names) {
        const squares = ops.sum(ops.mul(g[name] as T, g[name] as T));
        total = total === undefined ? squares : ops.add(total, squares);
      }
      const norm = ops.sqrt(total as T);
      // PyTorch computes maxNorm / (norm + 1e-6) as round(1 / (norm + 1e-6)) · maxNorm.
      const coefficient = ops.minimum(
        ops.mul(ops.div(ops.scalar(1), ops.add(norm, ops.scalar(1e-6))), ops.scalar(optimizer.clipGradientNorm)),
        ops.scalar(1),
      );
      for (const name of this.names) g[name] = ops.mul(g[name] as T, coefficient);
    }
    const { definition } = optimizer;
    const t = state.step;
    if (optimizer.decoupledWeightDecay !== undefined) {
      const rate = evaluateHyperparameter(
        optimizer.decoupledWeightDecay,
        t,
        { kind: 'hyperparameter', min: 0, description: '' },
        `${definition.type} options.decoupledWeightDecay`,
      );
      const excluded = optimizer.decoupledWeightDecayExclude.map(globToRegExp);
      for (const name of this.names) {
        if (excluded.some((re) => re.test(name))) continue;
        const learningRate = (this.hyperAt(this.groupOf[name] as number, t) as { learningRate?: number }).learningRate ?? 0;
        const param = this.params[name] as T;
        this.params[name] = ops.assign(param, ops.mul(param, ops.scalar(1 - learningRate * rate)));
      }
    }
    let firstRate: number | undefined;
    optimizer.groups.forEach((_, groupIndex) => {
      const members = this.members[groupIndex] ?? [];
      if (members.length === 0) return;
      const hyper = this.hyperAt(groupIndex, t);
      const { values, host } = definition.math.scalars(hyper, t + 1, state.groups[groupIndex] ?? {});
      state.groups[groupIndex] = host;
      if (firstRate === undefined) firstRate = (hyper as { learningRate?: number }).learningRate;
      const kernel = this.kernels?.(definition.type, hyper);
      const scalars: Record<string, T> = {};
      if (kernel === undefined) for (const [key, value] of Object.entries(values)) scalars[key] = ops.scalar(value);
      for (const name of members) {
        const param = this.params[name] as T;
        const slots = state.params[name] as Slots<T>;
        if (kernel) {
          kernel({ param, grad: g[name] as T, slots, scalars: values, hyper });
          continue;
        }
        const out = definition.math.update({ ops, s: scalars, h: hyper, param, grad: g[name] as T, slots });
        this.params[name] = ops.assign(param, out.param);
        const nextSlots: Slots<T> = {};
        for (const [slot, value] of Object.entries(out.slots)) {
          const previous = slots[slot];
          nextSlots[slot] = previous === undefined ? value : ops.assign(previous, value);
        }
        state.params[name] = nextSlots;
      }
    });
    if (optimizer.emaDecay !== undefined) {
      const decay = evaluateHyperparameter(
        optimizer.emaDecay,
        t,
        { kind: 'hyperparameter', min: 0, max: 1, description: '' },
        `${definition.type} options.emaDecay`,
      );
      const d = ops.scalar(decay);
      const oneMinus = ops.scalar(1 - decay);
      for (const name of this.names) {
        const average = state.ema[name] as T;
        state.ema[name] = ops.assign(average, ops.add(ops.mul(average, d), ops.mul(this.params[name] as T, oneMinus)));
      }
    }
    state.step = t + 1;
    return { outcome: 'updated', step: state.step, learningRate: firstRate };
  }
}

/** JSON form of {@link OptimizerState}: tensors become arrays of numbers. */
export interface OptimizerStateJSON {
  readonly step: number;
  readonly skipped: number;
  readonly microStep: number;
  readonly groups: readonly HostState[];
  readonly params: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>;
  readonly accumulated: Readonly<Record<string, readonly number[]>>;
  readonly ema: Readonly<Record<string, readonly number[]>>;
}

function mapRecord<A, B>(record: Readonly<Record<string, A>>, f: (value: A, key: string) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const [key, value] of Object.entries(record)) out[key] = f(value, key);
  return out;
}

/**
 * Serializes optimizer state to plain JSON data (float32 values survive the
 * round trip exactly: every float32 is a double that JSON prints exactly).
 *
 * @example
 * ```ts
 * const json = stateToJSON(runner.state, (t) => Array.from(t));
 * ```
 */
export function stateToJSON<T>(state: OptimizerState<T>, toValues: (tensor: T) => ArrayLike<number>): OptimizerStateJSON {
  const values = (t: T): number[] => Array.from(toValues(t));
  return {
    step: state.step,
    skipped: state.skipped,
    microStep: state.microStep,
    groups: state.groups.map((g) => ({ ...g })),
    params: mapRecord(state.params, (slots) => mapRecord(slots, values)),
    accumulated: mapRecord(state.accumulated, values),
    ema: mapRecord(state.ema, values),
  };
}

function readCount(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(path, 'must be an integer >= 0', value);
  return value as number;
}

function readValues(value: unknown, path: string): number[] {
  if (!Array.isArray(value)) fail(path, 'must be an array of numbers', value);
  value.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}[${i}]`, 'must be a finite number', v);
  });
  return value as number[];
}

function readTensors<T>(value: unknown, path: string, fromValues: (values: number[]) => T): Record<string, T> {
  if (!isPlainObject(value)) fail(path, 'must be an object of arrays by name', value);
  return mapRecord(value, (v, key) => fromValues(readValues(v, `${path}.${key}`)));
}

/**
 * Reads optimizer state written by {@link stateToJSON}, validating its shape;
 * errors name the path (`state.params.w.expAvg[3]`). Load it with
 * {@link OptimizerRunner.loadState}, which checks it fits the parameters.
 */
export function stateFromJSON<T>(json: unknown, fromValues: (values: number[]) => T): OptimizerState<T> {
  const path = 'state';
  if (!isPlainObject(json)) fail(path, 'must be an optimizer state object', json);
  const groups = json.groups;
  if (!Array.isArray(groups)) fail(`${path}.groups`, 'must be an array', groups);
  const params = json.params;
  if (!isPlainObject(params)) fail(`${path}.params`, 'must be an object of slots by parameter name', params);
  return {
    step: readCount(json.step, `${path}.step`),
    skipped: readCount(json.skipped, `${path}.skipped`),
    microStep: readCount(json.microStep, `${path}.microStep`),
    groups: groups.map((g: unknown, i) => {
      if (!isPlainObject(g)) fail(`${path}.groups[${i}]`, 'must be an object of numbers', g);
      return mapRecord(g, (v, key) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}.groups[${i}].${key}`, 'must be a finite number', v);
        return v;
      });
    }),
    params: mapRecord(params, (slots, name) => readTensors(slots, `${path}.params.${name}`, fromValues)),
    accumulated: readTensors(json.accumulated ?? {}, `${path}.accumulated`, fromValues),
    ema: readTensors(json.ema ?? {}, `${path}.ema`, fromValues),
  };
}
