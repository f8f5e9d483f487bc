import { StepsizeError } from '../errors.js';
import { fail } from '../schedules/options.js';
import type { HostState, Slots } from './definition.js';
import { type Membership, resolveMembership } from './groups.js';
import type { KernelTable } from './kernels.js';
import { evaluateHyperparameter, groupValuesAt, type Hyperparameter, type Optimizer } from './optimizer.js';
import type { Ops } from './ops.js';
import { type OptimizerState, ownValue } from './state.js';

/** What one update did. */
export interface StepReport {
  /** `'updated'`, `'accumulated'` (a micro-step of `accumulationSteps`) or `'skipped'` (non-finite gradient). */
  readonly outcome: 'updated' | 'accumulated' | 'skipped';
  /** The update count after the call. */
  readonly step: number;
  /**
   * "The learning rate" of this update, defined once for every backend: the rate of the
   * optimizer's first group, group scale applied: `groups[0]` when groups are given (it
   * always has parameters: its patterns must match one, and a parameter joins the first
   * group that matches it), else the top-level options. PyTorch reports the same,
   * `param_groups[0]['lr']`. Undefined unless updated.
   */
  readonly learningRate: number | undefined;
  /** The learning rate of every group, in group order (the default group last); undefined unless updated. */
  readonly learningRates: readonly number[] | undefined;
}

/** The kind of tensor program a step runs. */
export type StepKind = 'update' | 'accumulateFirst' | 'accumulate' | 'updateAccumulated';

/** One group's part of a step plan. */
export interface GroupPlan {
  /** The group's resolved hyperparameters at this step (numbers and flags: the optimizer's `Hyper` type). */
  readonly hyper: unknown;
  /** The optimizer math's scalars for this step (what fused kernels read). */
  readonly values: Readonly<Record<string, number>>;
}

/**
 * The host-side half of a step: every number the tensor program needs (schedules
 * evaluated, bias corrections computed), the next counters, and the report of an
 * accepted step. Two plans with the same {@link StepPlan.structure} run the same
 * operations on their tensors, so a traced graph built for one serves the other,
 * fed with its own {@link StepPlan.scalars}.
 */
export interface StepPlan {
  readonly kind: StepKind;
  /** Identifies the tensor program (the operations, not the numbers). */
  readonly structure: string;
  /** Updates before this step. */
  readonly step: number;
  /** Every per-step number the tensor program reads, by name (`group0.beta1`, `ema.decay`), in a fixed order per structure. */
  readonly scalars: Readonly<Record<string, number>>;
  /** Per group: its plan, or undefined for a group without parameters (and on accumulation micro-steps). */
  readonly groups: readonly (GroupPlan | undefined)[];
  /** The counters after an accepted step. */
  readonly next: { readonly step: number; readonly microStep: number; readonly groups: readonly HostState[] };
  /** The report of an accepted step. */
  readonly report: StepReport;
}

/** What {@link CompiledOptimizer.update} reads. */
export interface UpdateArgs<T> {
  /** Parameters by name (the names of `init`). Backends whose `assign` writes in place update them in place. */
  readonly params: Readonly<Record<string, T>>;
  /** One gradient per parameter, of the parameter's size. */
  readonly gradients: Readonly<Record<string, T>>;
  readonly state: OptimizerState<T>;
  /** Fused kernels, used instead of the generic math where the table has the optimizer's type. */
  readonly kernels?: KernelTable<T> | undefined;
}

/** What {@link CompiledOptimizer.update} returns. */
export interface UpdateResult<T> {
  readonly params: Record<string, T>;
  readonly state: OptimizerState<T>;
  readonly report: StepReport;
  /**
   * From `execute`, for an optimizer with `absorb` (Prodigy, D-Adaptation): per group, the
   * sums its host state follows (undefined for a group without parameters). `update`
   * reads them back and absorbs them; a traced backend outputs them and calls
   * {@link CompiledOptimizer.absorb}.
   */
  readonly reductions?: readonly (Readonly<Record<string, T>> | undefined)[];
}

/** What {@link CompiledOptimizer.execute} reads: the tensors, and the plan's scalars as tensors of the same backend. */
export interface ExecuteArgs<T> extends UpdateArgs<T> {
  /** `ops.scalar(plan.scalars[name])` for every name (a traced backend gives graph inputs instead). */
  readonly scalars: Readonly<Record<string, T>>;
}

/**
 * The error a step with a non-finite gradient raises under `nonFinite: 'throw'`
 * (path `gradients.<name>[<index>]`); every backend raises this one.
 */
export function nonFiniteGradientError(name: string, index: number): StepsizeError {
  return new StepsizeError(
    `gradients.${name}[${index}]`,
    "is not finite: the step was refused and nothing changed (use nonFinite: 'skip' to skip such steps)",
    index,
  );
}

/**
 * True for the error of {@link nonFiniteGradientError} (a `StepsizeError` at
 * `gradients.<name>[<index>]`), whichever backend raised it.
 *
 * @example
 * ```ts
 * isNonFiniteGradientError(nonFiniteGradientError('w', 3)); // true
 * ```
 */
export function isNonFiniteGradientError(error: unknown): boolean {
  return error instanceof StepsizeError && /^gradients\..*\]$/.test(error.path);
}

/**
 * An optimizer as a pure step, in the spirit of optax's `init` / `update`: state
 * is plain data in and out, nothing is kept between calls. Tensors are written
 * through `ops.assign`, so on backends whose assign writes in place (the engine's
 * arrays, tfjs variables) the given parameters' and state's storage is reused, as
 * optax's donated buffers are: keep the returned state, not the given one. `update` runs the whole
 * step (non-finite check, accumulation, clipping, decoupled decay, groups and
 * schedules, the optimizer's math or a fused kernel, the weight EMA); a traced
 * backend (ONNX) splits it into {@link CompiledOptimizer.plan} (host numbers),
 * {@link CompiledOptimizer.execute} (the tensor program, traced once per
 * structure) and {@link CompiledOptimizer.verdict} (the non-finite policy, on the
 * probe's value read after the run).
 */
export interface CompiledOptimizer {
  readonly optimizer: Optimizer;
  /**
   * Fresh state for these parameters; checks that every group pattern matches one of them.
   * An optimizer whose math reads shapes (Muon, Adafactor) records each parameter's shape in
   * the state: `options.shapes` (required on backends with flat storage, the engine), else
   * the tensor's own ({@link Ops.shape}).
   */
  init<T>(ops: Ops<T>, params: Readonly<Record<string, T>>, options?: InitOptions): OptimizerState<T>;
  /** One step. Refuses a non-finite gradient (or skips it, per `nonFinite`) before anything changes. */
  update<T>(ops: Ops<T>, args: UpdateArgs<T>): UpdateResult<T>;
  /** The checks `update` starts with: every parameter of the state has a gradient of its size, and no other gradient is given. */
  check<T>(ops: Ops<T>, args: UpdateArgs<T>): void;
  /** The host-side half of the step for this state (no tensor is read). */
  plan(state: OptimizerState<unknown>): StepPlan;
  /** The tensor program of a plan: new parameters and state tensors (counters from `plan.next`). */
  execute<T>(ops: Ops<T>, plan: StepPlan, args: ExecuteArgs<T>): UpdateResult<T>;
  /**
   * A scalar that is not finite whenever some gradient element is not (undefined under
   * `nonFinite: 'propagate'`): `update` reads it before the step; a traced backend
   * computes it in its graph and passes its value to {@link CompiledOptimizer.verdict}.
   */
  probe<T>(ops: Ops<T>, gradients: Readonly<Record<string, T>>): T | undefined;
  /**
   * The non-finite policy: `'accept'` when the probe was finite (or no element is
   * non-finite after all, when a finite sum overflowed), `'skip'` under
   * `nonFinite: 'skip'`, else throws {@link nonFiniteGradientError} naming the first
   * non-finite element of `gradients` (found with `ops.firstNonFinite`, only once the probe is not finite).
   */
  verdict<T>(probeIsFinite: boolean, ops: Ops<T>, gradients: Readonly<Record<string, T>>): 'accept' | 'skip';
  /** A skipped step: the state with the skip counted (nothing else changed) and its report. */
  skip<T>(state: OptimizerState<T>): Pick<UpdateResult<T>, 'state' | 'report'>;
  /**
   * Checks that a state (from a checkpoint) fits these parameters before it is used:
   * counters are integers >= 0 with `microStep < accumulationSteps`; every parameter
   * has exactly its slots, each of its size; the weight EMA and the gradient
   * accumulators, where present (required with `emaDecay`, and while `microStep > 0`),
   * are of its size; no entry names another parameter; one finite host state per
   * group. Errors name the path under `options.path` (default `state`). Values are
   * not read here: `stateFromJSON` checks them (finite, float32, signs).
   */
  checkState<T>(ops: Ops<T>, params: Readonly<Record<string, T>>, state: OptimizerState<T>, options?: { readonly path?: string }): void;
  /**
   * The learning rates an update at `step` (updates done before it) uses: every group's,
   * and "the learning rate", the first group's ({@link StepReport.learningRate}).
   */
  learningRatesAt(step: number): { readonly learningRate: number; readonly learningRates: readonly number[] };
  /**
   * Slot names of a parameter (its group's flags decide which slots exist, and for Muon and
   * Adafactor its shape; left out, `[]`: a parameter that is not a matrix).
   */
  slotNames(names: readonly string[], name: string, shape?: readonly number[]): readonly string[];
  /** The shape of each slot of a parameter of `shape` (the parameter's own unless the math factors it, as Adafactor). */
  slotShapes(names: readonly string[], name: string, shape: readonly number[]): Readonly<Record<string, readonly number[]>>;
  /**
   * The parameters to evaluate, predict and save at, when the optimizer trains at other
   * ones (schedule-free: `x = (y - (1 - b1) z) / b1`, from the parameters `y` and the
   * state); undefined for every other optimizer (evaluate at the parameters). New
   * tensors; nothing is changed.
   */
  evaluationParams<T>(ops: Ops<T>, params: Readonly<Record<string, T>>, state: OptimizerState<T>): Record<string, T> | undefined;
  /**
   * The state after an executed plan with its reductions read back (per group, by name):
   * the host state of each group follows them (`OptimizerMath.absorb`). The identity for
   * optimizers without `absorb`.
   */
  absorb<T>(plan: StepPlan, state: OptimizerState<T>, totals: readonly (Readonly<Record<string, number>> | undefined)[]): OptimizerState<T>;
}

/** Options of {@link CompiledOptimizer.init}. */
export interface InitOptions {
  /**
   * Parameter shapes by name (row-major), for optimizers whose math reads them (Muon,
   * Adafactor) on backends whose tensors are flat (the engine's Float32Arrays). Each must
   * hold the parameter's size (and equal the tensor's own shape where it has one).
   */
  readonly shapes?: Readonly<Record<string, readonly number[]>> | undefined;
}

function checkShape(value: unknown, size: number, where: string): readonly number[] {
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d) && d >= 0))
    fail(where, "must be an array of integers >= 0 (the parameter's shape)", value);
  const product = (value as number[]).reduce((a, b) => a * b, 1);
  if (product !== size) fail(where, `must hold the parameter's ${size} elements, holds ${product}`, value);
  return [...(value as number[])];
}

function scalarOf<T>(scalars: Readonly<Record<string, T>>, name: string): T {
  const value = scalars[name];
  if (value === undefined) throw new Error(`execute: the plan's scalar ${name} was not given`);
  return value;
}

/**
 * Compiles an optimizer into its pure step.
 *
 * @example
 * ```ts
 * const step = compileOptimizer(adamW({ learningRate: 1e-3 }));
 * let state = step.init(float32Ops, params);
 * const result = step.update(float32Ops, { params, gradients, state });
 * state = result.state;
 * ```
 */
export function compileOptimizer(optimizer: Optimizer): CompiledOptimizer {
  const { definition } = optimizer;
  const math = definition.math;
  const type = definition.type;
  const accumulationSteps = optimizer.accumulationSteps;
  const memberships = new Map<string, Membership>();
  const membershipOf = (names: readonly string[], where: string): Membership => {
    const key = names.join('\u0000');
    let membership = memberships.get(key);
    if (membership === undefined) {
      membership = resolveMembership(optimizer, names, where);
      memberships.set(key, membership);
    }
    return membership;
  };
  const hyperAt = (groupIndex: number, step: number): unknown => {
    const group = optimizer.groups[groupIndex];
    if (group === undefined) throw new Error(`no group ${groupIndex}`);
    return definition.hyper(groupValuesAt(definition, group, step), group.options);
  };
  const learningRateAt = (groupIndex: number, step: number): number => {
    const group = optimizer.groups[groupIndex];
    const value = group?.options.learningRate;
    const spec = definition.options.learningRate;
    if (group === undefined || value === undefined || spec?.kind !== 'hyperparameter') return Number.NaN;
    return evaluateHyperparameter(value as Hyperparameter, step, spec, `${type} options.learningRate`) * group.learningRateScale;
  };
  const persist = <T>(ops: Ops<T>, x: T): T => (ops.persist ? ops.persist(x) : x);
  /** A parameter's shape in a step: the state's record, else the tensor's own, else flat. */
  const shapeOf = <T>(ops: Ops<T>, state: OptimizerState<T>, name: string, param: T): readonly number[] =>
    (state.shapes && ownValue(state.shapes, name)) ?? ops.shape?.(param) ?? [ops.size(param)];
  const checkNames = <T>(
    ops: Ops<T>,
    membership: Membership,
    params: Readonly<Record<string, T>>,
    gradients: Readonly<Record<string, T>>,
  ): void => {
    const { names } = membership;
    for (const name of Object.keys(gradients)) {
      if (!Object.hasOwn(membership.groupOf, name)) fail(`gradients.${name}`, `is not a parameter (${names.join(', ')})`, name);
    }
    for (const name of names) {
      // Own properties only: a missing `constructor` must not find Object.prototype's.
      const gradient = ownValue(gradients, name);
      const param = ownValue(params, name);
      if (param === undefined) fail(`params.${name}`, 'is missing: the state has this parameter', undefined);
      if (gradient === undefined) fail(`gradients.${name}`, 'is missing: every parameter needs a gradient', undefined);
      const size = ops.size(param);
      if (ops.size(gradient) !== size) fail(`gradients.${name}`, `must have ${size} elements like the parameter`, ops.size(gradient));
    }
  };

  const compiled: CompiledOptimizer = {
    optimizer,

    init(ops, params, options = {}) {
      const membership = membershipOf(Object.keys(params), 'init(ops, params) params');
      const given = options.shapes;
      if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given)))
        fail('init options.shapes', 'must be a record of shapes by parameter name', given);
      for (const name of Object.keys(given ?? {})) {
        if (!Object.hasOwn(membership.groupOf, name))
          fail(`init options.shapes.${name}`, `is not a parameter (${membership.names.join(', ')})`, name);
      }
      const shapes: Record<string, readonly number[]> = Object.fromEntries(
        membership.names.map((name) => {
          const param = params[name] as (typeof params)[string];
          const where = `init options.shapes.${name}`;
          const own = ops.shape?.(param);
          const value = given && ownValue(given, name);
          if (value === undefined) {
            if (own === undefined && math.shaped)
              fail(
                where,
                `is missing: ${type} reads parameter shapes and ${ops.name} tensors are flat (give init or the runner shapes)`,
                undefined,
              );
            return [name, own ?? [ops.size(param)]];
          }
          const shape = checkShape(value, ops.size(param), where);
          if (own !== undefined && own.join(',') !== shape.join(','))
            fail(where, `must equal the tensor's shape [${own.join(', ')}]`, value);
          return [name, shape];
        }),
      );
      const slots: Record<string, Slots<never>> = Object.fromEntries(
        membership.names.map((name) => {
          const fresh = math.init(
            ops,
            params[name] as (typeof params)[string],
            hyperAt(membership.groupOf[name] as number, 0),
            shapes[name] as readonly number[],
          );
          for (const key of Object.keys(fresh)) fresh[key] = persist(ops, fresh[key] as (typeof params)[string]);
          return [name, fresh as never];
        }),
      );
      const ema: Record<string, (typeof params)[string]> = Object.fromEntries(
        optimizer.emaDecay === undefined
          ? []
          : membership.names.map((name) => [name, persist(ops, ops.add(params[name] as (typeof params)[string], ops.scalar(0)))]),
      );
      return {
        step: 0,
        skipped: 0,
        microStep: 0,
        groups: optimizer.groups.map((_, i) => math.initHost?.(hyperAt(i, 0)) ?? {}),
        params: slots,
        accumulated: {},
        ema,
        ...(math.shaped ? { shapes } : {}),
      };
    },

    plan(state) {
      const membership = membershipOf(Object.keys(state.params), 'state.params');
      const t = state.step;
      const micro = state.microStep;
      let kind: StepKind = 'update';
      if (accumulationSteps > 1)
        kind = micro + 1 < accumulationSteps ? (micro === 0 ? 'accumulateFirst' : 'accumulate') : 'updateAccumulated';
      if (kind === 'accumulateFirst' || kind === 'accumulate') {
        return {
          kind,
          structure: kind,
          step: t,
          scalars: {},
          groups: optimizer.groups.map(() => undefined),
          next: { step: t, microStep: micro + 1, groups: state.groups },
          report: { outcome: 'accumulated', step: t, learningRate: undefined, learningRates: undefined },
        };
      }
      const scalars: Record<string, number> = {};
      const hostGroups = [...state.groups];
      const groups = optimizer.groups.map((_, i): GroupPlan | undefined => {
        if ((membership.members[i] ?? []).length === 0) return undefined;
        const hyper = hyperAt(i, t);
        const { values, host } = math.scalars(hyper, t + 1, state.groups[i] ?? {}, () => hyperAt(i, t + 1));
        hostGroups[i] = host;
        for (const [key, value] of Object.entries(values as Record<string, number>)) scalars[`group${i}.${key}`] = value;
        return { hyper, values };
      });
      if (optimizer.decoupledWeightDecay !== undefined) {
        const rate = evaluateHyperparameter(
          optimizer.decoupledWeightDecay,
          t,
          { kind: 'hyperparameter', min: 0, description: '' },
          `${type} options.decoupledWeightDecay`,
        );
        groups.forEach((group, i) => {
          if (group === undefined) return;
          const learningRate = (group.hyper as { learningRate?: number }).learningRate ?? 0;
          scalars[`group${i}.decoupledFactor`] = 1 - learningRate * rate;
        });
      }
      if (optimizer.emaDecay !== undefined) {
        const decay = evaluateHyperparameter(
          optimizer.emaDecay,
          t,
          { kind: 'hyperparameter', min: 0, max: 1, description: '' },
          `${type} options.emaDecay`,
        );
        scalars['ema.decay'] = decay;
        scalars['ema.complement'] = 1 - decay;
      }
      const learningRates = optimizer.groups.map((_, i) => {
        const hyper = groups[i]?.hyper as { learningRate?: number } | undefined;
        return hyper?.learningRate ?? learningRateAt(i, t);
      });
      return {
        kind,
        structure: `${kind}:${Object.keys(scalars).join(',')}`,
        step: t,
        scalars,
        groups,
        next: { step: t + 1, microStep: 0, groups: hostGroups },
        report: { outcome: 'updated', step: t + 1, learningRate: learningRates[0], learningRates },
      };
    },

    execute(ops, plan, args) {
      const { state, kernels } = args;
      const membership = membershipOf(Object.keys(state.params), 'state.params');
      const { names } = membership;
      const params: Record<string, (typeof args.params)[string]> = { ...args.params };
      type Tensor = (typeof params)[string];
      const gradients: Record<string, Tensor> = { ...args.gradients };
      const counters = { step: plan.next.step, skipped: state.skipped, microStep: plan.next.microStep, groups: plan.next.groups };
      if (plan.kind === 'accumulateFirst' || plan.kind === 'accumulate') {
        // Accumulators are kept across cycles (written with assign) so backends with
        // long-lived storage allocate them once; they are meaningful while microStep > 0.
        const accumulated: Record<string, Tensor> = { ...state.accumulated };
        for (const name of names) {
          const previous = ownValue(state.accumulated, name);
          const gradient = gradients[name] as Tensor;
          const sum =
            plan.kind === 'accumulateFirst' || previous === undefined ? ops.add(gradient, ops.scalar(0)) : ops.add(previous, gradient);
          // Defined, not assigned: the first accumulation of a parameter named `__proto__` adds a key too.
          Object.defineProperty(accumulated, name, {
            value: previous === undefined ? persist(ops, sum) : ops.assign(previous, sum),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        const next = { ...counters, params: state.params, accumulated, ema: state.ema, ...(state.shapes && { shapes: state.shapes }) };
        return { params, state: next, report: plan.report };
      }
      if (plan.kind === 'updateAccumulated') {
        const inverse = ops.scalar(1 / accumulationSteps);
        for (const name of names) {
          const previous = ownValue(state.accumulated, name);
          if (previous === undefined) fail(`state.accumulated.${name}`, `is missing at micro-step ${state.microStep}`, undefined);
          gradients[name] = ops.mul(ops.add(previous, gradients[name] as Tensor), inverse);
        }
      }
      if (optimizer.clipGradientValue !== undefined) {
        const high = ops.scalar(optimizer.clipGradientValue);
        const low = ops.scalar(-optimizer.clipGradientValue);
        for (const name of names) gradients[name] = ops.minimum(ops.maximum(gradients[name] as Tensor, low), high);
      }
      if (optimizer.clipGradientNorm !== undefined) {
        // PyTorch clip_grad_norm_: coef = min(maxNorm / (‖g‖ + 1e-6), 1), always applied.
        let total: Tensor | undefined;
        for (const name of names) {
          const g = gradients[name] as Tensor;
          const squares = ops.sum(ops.mul(g, g));
          total = total === undefined ? squares : ops.add(total, squares);
        }
        const norm = ops.sqrt(total as Tensor);
        // PyTorch computes maxNorm / (norm + 1e-6) as round(1 / (norm + 1e-6)) · maxNorm.
        const coefficient = ops.minimum(
          ops.mul(ops.div(ops.scalar(1), ops.add(norm, ops.scalar(1e-6))), ops.scalar(optimizer.clipGradientNorm)),
          ops.scalar(1),
        );
        for (const name of names) gradients[name] = ops.mul(gradients[name] as Tensor, coefficient);
      }
      if (optimizer.decoupledWeightDecay !== undefined) {
        for (const name of names) {
          if (membership.decayExcluded.has(name)) continue;
          const param = params[name] as Tensor;
          params[name] = ops.assign(param, ops.mul(param, scalarOf(args.scalars, `group${membership.groupOf[name]}.decoupledFactor`)));
        }
      }
      const slotsOut: Record<string, Slots<Tensor>> = { ...state.params };
      // An optimizer whose host state follows its tensors runs its generic math (its sums come from it).
      const kernel =
        math.absorb === undefined && math.share === undefined
          ? (kernels as Record<string, ((args: unknown) => void) | undefined> | undefined)?.[type]
          : undefined;
      /** Adds each named scalar into `sums`. */
      const accumulate = (sums: Record<string, Tensor>, values: Readonly<Record<string, Tensor>>): Record<string, Tensor> => {
        for (const [key, value] of Object.entries(values)) sums[key] = sums[key] === undefined ? value : ops.add(sums[key], value);
        return sums;
      };
      const reductions: (Record<string, Tensor> | undefined)[] = plan.groups.map(() => undefined);
      plan.groups.forEach((group, i) => {
        if (group === undefined) return;
        const s: Record<string, Tensor> = {};
        if (kernel === undefined) for (const key of Object.keys(group.values)) s[key] = scalarOf(args.scalars, `group${i}.${key}`);
        // A group value of this step from sums over its parameters before their updates (DoG).
        let shared: Record<string, Tensor> | undefined;
        if (math.share !== undefined && math.prepare !== undefined) {
          const totals: Record<string, Tensor> = {};
          for (const name of membership.members[i] ?? []) {
            const param = params[name] as Tensor;
            const input = { ops, s, h: group.hyper, param, grad: gradients[name] as Tensor, shape: shapeOf(ops, state, name, param) };
            accumulate(totals, math.prepare({ ...input, slots: state.params[name] as Slots<Tensor> }));
          }
          shared = math.share({ ops, s, h: group.hyper, totals });
          reductions[i] = { ...shared };
        }
        for (const name of membership.members[i] ?? []) {
          const param = params[name] as Tensor;
          const slots = state.params[name] as Slots<Tensor>;
          if (kernel !== undefined) {
            kernel({ param, grad: gradients[name], slots, scalars: group.values, flags: group.hyper });
            continue;
          }
          const grad = gradients[name] as Tensor;
          const shape = shapeOf(ops, state, name, param);
          const out = math.update({ ops, s, h: group.hyper, param, grad, slots, shape, ...(shared && { shared }) });
          if (out.reduce !== undefined) reductions[i] = accumulate(reductions[i] ?? {}, out.reduce);
          params[name] = ops.assign(param, out.param);
          const next: Slots<Tensor> = {};
          for (const [slot, value] of Object.entries(out.slots)) {
            const previous = slots[slot];
            // A slot the step leaves as it is (Prodigy's initial parameters) is not assigned to itself.
            next[slot] = previous === undefined ? persist(ops, value) : value === previous ? previous : ops.assign(previous, value);
          }
          slotsOut[name] = next;
        }
      });
      let ema = state.ema;
      if (optimizer.emaDecay !== undefined) {
        const decay = scalarOf(args.scalars, 'ema.decay');
        const complement = scalarOf(args.scalars, 'ema.complement');
        const next: Record<string, Tensor> = Object.fromEntries(
          names.map((name) => {
            const average = state.ema[name] as Tensor;
            return [name, ops.assign(average, ops.add(ops.mul(average, decay), ops.mul(params[name] as Tensor, complement)))];
          }),
        );
        ema = next;
      }
      const next = { ...counters, params: slotsOut, accumulated: state.accumulated, ema, ...(state.shapes && { shapes: state.shapes }) };
      const result = { params, state: next, report: plan.report };
      return math.absorb === undefined ? result : { ...result, reductions };
    },

    probe(ops, gradients) {
      if (optimizer.nonFinite === 'propagate') return undefined;
      const probe = ops.nonFiniteProbe ?? ops.sum;
      let total: (typeof gradients)[string] | undefined;
      for (const gradient of Object.values(gradients)) {
        const value = probe.call(ops, gradient);
        total = total === undefined ? value : ops.add(total, value);
      }
      return total;
    },

    verdict(probeIsFinite, ops, gradients) {
      // One check of one scalar (one read-back on device backends): the sum of every gradient
      // element is finite unless some element is not (or the sum overflows; then the scan
      // finds nothing and the step goes ahead).
      if (probeIsFinite) return 'accept';
      for (const [name, gradient] of Object.entries(gradients)) {
        const index = ops.firstNonFinite(gradient);
        if (index < 0) continue;
        if (optimizer.nonFinite === 'skip') return 'skip';
        throw nonFiniteGradientError(name, index);
      }
      return 'accept';
    },

    skip(state) {
      return {
        state: { ...state, skipped: state.skipped + 1 },
        report: { outcome: 'skipped', step: state.step, learningRate: undefined, learningRates: undefined },
      };
    },

    check(ops, { params, gradients, state }) {
      checkNames(ops, membershipOf(Object.keys(state.params), 'state.params'), params, gradients);
    },

    update(ops, args) {
      const { params, gradients, state } = args;
      const membership = membershipOf(Object.keys(state.params), 'state.params');
      checkNames(ops, membership, params, gradients);
      const probe = compiled.probe(ops, gradients);
      if (probe !== undefined) {
        if (compiled.verdict(ops.firstNonFinite(probe) < 0, ops, gradients) === 'skip')
          return { params: { ...params }, ...compiled.skip(state) };
      }
      const plan = compiled.plan(state);
      const scalars: Record<string, (typeof params)[string]> = {};
      for (const [name, value] of Object.entries(plan.scalars)) scalars[name] = ops.scalar(value);
      const result = compiled.execute(ops, plan, { ...args, scalars });
      if (result.reductions === undefined) return result;
      const read = ops.readScalar;
      if (read === undefined) throw new Error(`${type} needs Ops.readScalar (its step size follows its tensors); ${ops.name} has none`);
      const totals = result.reductions.map((sums) =>
        sums === undefined ? undefined : Object.fromEntries(Object.entries(sums).map(([key, value]) => [key, read.call(ops, value)])),
      );
      return { params: result.params, state: compiled.absorb(plan, result.state, totals), report: result.report };
    },

    absorb(plan, state, totals) {
      const absorb = math.absorb;
      if (absorb === undefined) return state;
      const groups = state.groups.map((host, i) => {
        const group = plan.groups[i];
        const sums = totals[i];
        return group === undefined || sums === undefined ? host : absorb.call(math, group.hyper, host, sums);
      });
      return { ...state, groups };
    },

    checkState(ops, params, state, options = {}) {
      const path = options.path ?? 'state';
      const names = Object.keys(params);
      const membership = membershipOf(names, 'params');
      for (const counter of ['step', 'skipped', 'microStep'] as const) {
        const value = state[counter];
        if (!Number.isSafeInteger(value) || value < 0) fail(`${path}.${counter}`, 'must be an integer >= 0', value);
      }
      if (state.microStep >= accumulationSteps) {
        fail(`${path}.microStep`, `must be below accumulationSteps (${accumulationSteps})`, state.microStep);
      }
      for (const [record, label] of [
        [state.params, 'params'],
        [state.accumulated, 'accumulated'],
        [state.ema, 'ema'],
      ] as const) {
        for (const name of Object.keys(record)) {
          if (!Object.hasOwn(membership.groupOf, name)) fail(`${path}.${label}.${name}`, `is not a parameter (${names.join(', ')})`, name);
        }
      }
      if (math.shaped) {
        if (state.shapes === undefined) fail(`${path}.shapes`, `is missing: ${type} records every parameter's shape`, undefined);
        for (const name of Object.keys(state.shapes)) {
          if (!Object.hasOwn(membership.groupOf, name)) fail(`${path}.shapes.${name}`, `is not a parameter (${names.join(', ')})`, name);
        }
      }
      for (const name of names) {
        const where = `${path}.params.${name}`;
        const slots = ownValue(state.params, name);
        if (slots === undefined) fail(where, 'is missing: the checkpoint does not fit these parameters', undefined);
        const param = params[name] as (typeof params)[string];
        const size = ops.size(param);
        let shape: readonly number[] = ops.shape?.(param) ?? [size];
        if (math.shaped) {
          const recorded = state.shapes && ownValue(state.shapes, name);
          if (recorded === undefined) fail(`${path}.shapes.${name}`, 'is missing', undefined);
          shape = checkShape(recorded, size, `${path}.shapes.${name}`);
          const own = ops.shape?.(param);
          if (own !== undefined && own.join(',') !== shape.join(','))
            fail(`${path}.shapes.${name}`, `must equal the parameter's shape [${own.join(', ')}]`, recorded);
        }
        const slotNames = compiled.slotNames(names, name, shape);
        const slotShapes = compiled.slotShapes(names, name, shape);
        for (const slot of slotNames) {
          const value = ownValue(slots, slot);
          if (value === undefined) fail(`${where}.${slot}`, 'is missing', undefined);
          const expected = (slotShapes[slot] ?? shape).reduce((a, b) => a * b, 1);
          if (ops.size(value) !== expected)
            fail(`${where}.${slot}`, `must have ${expected} elements${expected === size ? ' like the parameter' : ''}`, ops.size(value));
        }
        for (const slot of Object.keys(slots)) {
          if (!slotNames.includes(slot))
            fail(`${where}.${slot}`, `is not a slot of this ${type} (${slotNames.join(', ') || 'none'})`, slot);
        }
        const average = ownValue(state.ema, name);
        if (average === undefined ? optimizer.emaDecay !== undefined : ops.size(average) !== size) {
          fail(`${path}.ema.${name}`, `must hold ${size} elements (the weight EMA)`, average && ops.size(average));
        }
        // Accumulators are kept between cycles: one of the wrong size would be broadcast (or throw) mid-training.
        const sum = ownValue(state.accumulated, name);
        if (sum === undefined ? state.microStep > 0 : ops.size(sum) !== size) {
          fail(`${path}.accumulated.${name}`, `must hold ${size} elements at micro-step ${state.microStep}`, sum && ops.size(sum));
        }
      }
      if (state.groups.length !== optimizer.groups.length) {
        fail(`${path}.groups`, `must have ${optimizer.groups.length} entries (one per group)`, state.groups);
      }
      state.groups.forEach((host, i) => {
        for (const [key, value] of Object.entries(host)) {
          if (!Number.isFinite(value)) fail(`${path}.groups[${i}].${key}`, 'must be a finite number', value);
        }
      });
    },

    learningRatesAt(step) {
      const learningRates = optimizer.groups.map((_, i) => learningRateAt(i, step));
      return { learningRate: learningRates[0] as number, learningRates };
    },

    slotNames(names, name, shape) {
      const membership = membershipOf(names, 'params');
      const group = membership.groupOf[name];
      if (group === undefined) fail(`params.${name}`, `is not a parameter (${names.join(', ')})`, name);
      return math.slots(hyperAt(group, 0), shape ?? []);
    },

    slotShapes(names, name, shape) {
      const membership = membershipOf(names, 'params');
      const group = membership.groupOf[name];
      if (group === undefined) fail(`params.${name}`, `is not a parameter (${names.join(', ')})`, name);
      const hyper = hyperAt(group, 0);
      const own = math.slotShapes?.(hyper, shape) ?? {};
      return Object.fromEntries(math.slots(hyper, shape).map((slot) => [slot, own[slot] ?? shape]));
    },

    evaluationParams(ops, params, state) {
      const evaluate = math.evaluate;
      if (evaluate === undefined) return undefined;
      const membership = membershipOf(Object.keys(state.params), 'state.params');
      // The hyperparameters of the update that made these parameters (its b1 inverts y = b1 x + (1 - b1) z).
      const step = Math.max(state.step - 1, 0);
      const out: Record<string, (typeof params)[string]> = {};
      for (const name of membership.names) {
        const param = ownValue(params, name);
        if (param === undefined) fail(`params.${name}`, 'is missing: the state has this parameter', undefined);
        const h = hyperAt(membership.groupOf[name] as number, step);
        Object.defineProperty(out, name, {
          value: evaluate.call(math, { ops, h, param, slots: state.params[name] as Slots<typeof param> }),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    },
  };
  return compiled;
}
