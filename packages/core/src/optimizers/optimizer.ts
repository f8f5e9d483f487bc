import { StepsizeError, describeValue } from '../errors.js';
import {
  childPath,
  describeRange,
  fail,
  inRange,
  isPlainObject,
  readOptions,
  type HyperparameterOption,
  type OptionSpec,
  type ReadContext,
} from '../schedules/options.js';
import { isSchedule, rawValue, type Schedule } from '../schedules/schedule.js';
import type { OptimizerMath } from './definition.js';

/** A hyperparameter: a fixed number or a schedule of the step. */
export type Hyperparameter = number | Schedule;

/** Everything stepsize knows about one optimizer type. */
export interface OptimizerDefinition<H = unknown> {
  readonly type: string;
  /** One sentence: update rule and convention. */
  readonly summary: string;
  /** The optimizer's own options (hyperparameters and flags), also allowed per group. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Cross-option checks. */
  readonly check?: (options: Record<string, unknown>, path: string) => void;
  /** Turns options whose hyperparameters are evaluated at this step into the math's inputs. */
  readonly hyper: (values: Record<string, unknown>, options: Record<string, unknown>) => H;
  readonly math: OptimizerMath<H>;
}

/** A parameter group: parameter names (or `*` globs) and option overrides. */
export interface ParameterGroup {
  /** Names of the parameters in this group; `*` matches any run of characters (`*.bias`). */
  readonly params: readonly string[];
  /** Multiplies the group's learning rate (layer-wise decay). Default 1. */
  readonly learningRateScale?: number;
  /** Any of the optimizer's options, overriding the top-level value for this group. */
  readonly [option: string]: unknown;
}

/** What an optimizer does with a non-finite gradient (see {@link CommonOptimizerOptions.nonFinite}). */
export type NonFinitePolicy = 'throw' | 'skip' | 'propagate';

/** Options every optimizer accepts besides its own hyperparameters. */
export interface CommonOptimizerOptions {
  /** Parameter groups with their own options; parameters in no group use the top-level options. */
  readonly groups?: readonly ParameterGroup[];
  /** Clip the global L2 norm of all gradients to this value before the update (PyTorch `clip_grad_norm_`). */
  readonly clipGradientNorm?: number;
  /** Clip every gradient element to `[-v, v]` (PyTorch `clip_grad_value_`). */
  readonly clipGradientValue?: number;
  /** Average gradients over this many micro-steps and update on the last one. Default 1. */
  readonly accumulationSteps?: number;
  /** Keep an exponential moving average of the weights: `ema = decay ema + (1 - decay) p` after each update. */
  readonly emaDecay?: Hyperparameter;
  /**
   * Non-finite gradients: `'throw'` (default; names the parameter and index and
   * changes nothing), `'skip'` the step (parameters and state untouched), or
   * `'propagate'`: no check at all, NaN and Infinity flow into the parameters as
   * in PyTorch and tfjs. The check costs one reduction over the gradients and,
   * on device backends, one scalar read-back per step; `'propagate'` saves both.
   */
  readonly nonFinite?: NonFinitePolicy;
  /**
   * Decoupled weight decay for any optimizer (Loshchilov & Hutter 2019; optax
   * `add_decayed_weights` + learning rate): before each update
   * `p = p (1 - lr · rate)`, with the parameter's group learning rate.
   */
  readonly decoupledWeightDecay?: Hyperparameter;
  /** Parameters (names or `*` globs) the decoupled weight decay skips, e.g. `['*.bias']`. */
  readonly decoupledWeightDecayExclude?: readonly string[];
}

/** The JSON form of an optimizer. */
export interface OptimizerSpec {
  readonly type: string;
  readonly [option: string]: unknown;
}

/** A resolved group: its parameter patterns and its options (hyperparameters as numbers or schedules). */
export interface ResolvedGroup {
  readonly params: readonly string[];
  readonly learningRateScale: number;
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * An optimizer configuration: which update rule, its hyperparameters (numbers
 * or schedules), groups and gradient transformations. It holds no tensors: a
 * backend runs it with its own primitives (see the engine, tfjs and ONNX
 * Runtime adapters, or {@link OptimizerRunner}).
 */
export interface Optimizer {
  readonly type: string;
  readonly definition: OptimizerDefinition;
  /** Top-level options (hyperparameters as numbers or schedules). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Groups, in order; the last one is the default group (params `['*']`). */
  readonly groups: readonly ResolvedGroup[];
  readonly clipGradientNorm: number | undefined;
  readonly clipGradientValue: number | undefined;
  readonly accumulationSteps: number;
  readonly emaDecay: Hyperparameter | undefined;
  readonly nonFinite: NonFinitePolicy;
  readonly decoupledWeightDecay: Hyperparameter | undefined;
  readonly decoupledWeightDecayExclude: readonly string[];
  /** The JSON spec; `optimizerFromJSON` rebuilds it. */
  toJSON(): OptimizerSpec;
}

export const commonOptions: Readonly<Record<string, OptionSpec>> = {
  clipGradientNorm: { kind: 'number', min: 0, exclusiveMin: true, optional: true, description: 'global L2 norm clip' },
  clipGradientValue: { kind: 'number', min: 0, exclusiveMin: true, optional: true, description: 'elementwise clip' },
  accumulationSteps: { kind: 'number', integer: true, min: 1, default: 1, description: 'micro-steps per update' },
  emaDecay: { kind: 'hyperparameter', min: 0, max: 1, optional: true, description: 'weight EMA decay' },
  nonFinite: { kind: 'enum', values: ['throw', 'skip', 'propagate'], default: 'throw', description: 'what a non-finite gradient does' },
  decoupledWeightDecay: { kind: 'hyperparameter', min: 0, optional: true, description: 'decoupled weight decay rate' },
  decoupledWeightDecayExclude: { kind: 'stringList', optional: true, description: 'parameters the decoupled decay skips' },
};

function readGroups(
  definition: OptimizerDefinition,
  input: unknown,
  context: ReadContext,
): { params: string[]; learningRateScale: number; overrides: Record<string, unknown> }[] {
  const path = childPath(context.path, 'groups');
  if (input === undefined) return [];
  if (!Array.isArray(input)) fail(path, 'must be an array of parameter groups', input);
  return input.map((group: unknown, i) => {
    const groupPath = childPath(path, i);
    if (!isPlainObject(group)) fail(groupPath, 'must be an object { params, ...options }', group);
    const params = group.params;
    if (!Array.isArray(params) || params.length === 0) {
      fail(childPath(groupPath, 'params'), 'must be a non-empty array of parameter names', params);
    }
    params.forEach((name: unknown, j) => {
      if (typeof name !== 'string' || name.length === 0) {
        fail(childPath(childPath(groupPath, 'params'), j), 'must be a non-empty string', name);
      }
    });
    const optionSpecs: Record<string, OptionSpec> = {};
    for (const [key, spec] of Object.entries(definition.options)) {
      const { default: _ignored, ...rest } = spec as OptionSpec & { default?: unknown };
      optionSpecs[key] = { ...rest, optional: true } as OptionSpec;
    }
    optionSpecs.learningRateScale = {
      kind: 'number',
      min: 0,
      default: 1,
      description: 'multiplies the group learning rate',
    };
    const read = readOptions(optionSpecs, group, { ...context, path: groupPath }, ['params']);
    const { learningRateScale, ...overrides } = read;
    for (const key of Object.keys(overrides)) if (overrides[key] === undefined) delete overrides[key];
    return { params: params as string[], learningRateScale: learningRateScale as number, overrides };
  });
}

/** Builds an optimizer from options read in code or JSON. */
export function buildOptimizer(definition: OptimizerDefinition, input: unknown, context: ReadContext): Optimizer {
  if (!isPlainObject(input)) fail(context.path, 'must be a plain object of options', input);
  const specs = { ...definition.options, ...commonOptions };
  const extra = context.mode === 'json' ? ['type', 'groups', '$schema'] : ['groups'];
  const options = readOptions(specs, input, context, extra);
  definition.check?.(options, context.path);
  const groupInputs = readGroups(definition, input.groups, context);
  const own: Record<string, unknown> = {};
  for (const key of Object.keys(definition.options)) if (options[key] !== undefined) own[key] = options[key];
  const groups: ResolvedGroup[] = groupInputs.map((g, i) => {
    const merged = { ...own, ...g.overrides };
    definition.check?.(merged, childPath(childPath(context.path, 'groups'), i));
    return { params: g.params, learningRateScale: g.learningRateScale, options: merged };
  });
  groups.push({ params: ['*'], learningRateScale: 1, options: own });
  const toJSON = (): OptimizerSpec => {
    const spec: Record<string, unknown> = { type: definition.type };
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined) spec[key] = isSchedule(value) ? value.toJSON() : Array.isArray(value) ? [...value] : value;
    }
    if (groupInputs.length > 0) {
      spec.groups = groupInputs.map((g) => {
        const out: Record<string, unknown> = { params: [...g.params] };
        if (g.learningRateScale !== 1) out.learningRateScale = g.learningRateScale;
        for (const [key, value] of Object.entries(g.overrides)) out[key] = isSchedule(value) ? value.toJSON() : value;
        return out;
      });
    }
    return spec as OptimizerSpec;
  };
  return {
    type: definition.type,
    definition,
    options: own,
    groups,
    clipGradientNorm: options.clipGradientNorm as number | undefined,
    clipGradientValue: options.clipGradientValue as number | undefined,
    accumulationSteps: options.accumulationSteps as number,
    emaDecay: options.emaDecay as Hyperparameter | undefined,
    nonFinite: options.nonFinite as NonFinitePolicy,
    decoupledWeightDecay: options.decoupledWeightDecay as Hyperparameter | undefined,
    decoupledWeightDecayExclude: (options.decoupledWeightDecayExclude as string[] | undefined) ?? [],
    toJSON,
  };
}

/** Builds an optimizer from options given in code. */
export function createOptimizer(definition: OptimizerDefinition, input: unknown): Optimizer {
  return buildOptimizer(definition, input, {
    mode: 'code',
    path: `${definition.type} options`,
    readSchedule: (value, path) => {
      if (!isSchedule(value)) fail(path, 'must be a number or a schedule made by stepsize', value);
      return value;
    },
  });
}

/** Evaluates a hyperparameter at a step, checking a schedule's value against the option's range. */
export function evaluateHyperparameter(value: Hyperparameter, step: number, spec: HyperparameterOption, path: string): number {
  if (typeof value === 'number') return value;
  const v = rawValue(value)(step);
  if (!inRange(v, spec)) {
    throw new StepsizeError(path, `schedule gave ${describeValue(v)} at step ${step}; it must be ${describeRange(spec)}`, v);
  }
  return v;
}

/** Options of a group evaluated at `step`: hyperparameters become numbers, the learning rate is scaled. */
export function groupValuesAt(definition: OptimizerDefinition, group: ResolvedGroup, step: number): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(group.options)) {
    const spec = definition.options[key];
    values[key] =
      spec?.kind === 'hyperparameter'
        ? evaluateHyperparameter(value as Hyperparameter, step, spec, `${definition.type} options.${key}`)
        : value;
  }
  if (typeof values.learningRate === 'number') values.learningRate *= group.learningRateScale;
  return values;
}

/** True when a hyperparameter is a schedule or a non-zero number (a structural "this term exists"). */
export function isActive(value: unknown): boolean {
  return value !== undefined && value !== 0;
}

/** Options of {@link layerDecayGroups}. */
export interface LayerDecayOptions {
  /** Parameter names (or globs) per layer, from the input side to the output side. */
  readonly layers: readonly (readonly string[])[];
  /** Learning-rate factor per layer of depth from the output, in (0, 1]. */
  readonly decay: number;
}

/**
 * Layer-wise learning-rate decay (as timm's `layer_decay`, from BEiT / ELECTRA
 * fine-tuning): the last layer keeps the full rate and each layer closer to the
 * input gets `decay` times the rate of the one after it, i.e. layer `i` of `L`
 * gets `learningRateScale = decay^(L - 1 - i)`. Returns parameter groups to pass
 * as `groups` (add other options to them as needed).
 *
 * @example
 * ```ts
 * const optimizer = adamW({
 *   learningRate: 1e-3,
 *   groups: layerDecayGroups({ layers: [['dense0.*'], ['dense1.*'], ['dense2.*']], decay: 0.75 }),
 * });
 * // dense0 at 0.5625e-3, dense1 at 0.75e-3, dense2 at 1e-3
 * ```
 */
export function layerDecayGroups(options: LayerDecayOptions): ParameterGroup[] {
  const { layers, decay } = options;
  if (!(typeof decay === 'number' && decay > 0 && decay <= 1)) fail('layerDecayGroups options.decay', 'must be a number in (0, 1]', decay);
  if (!Array.isArray(layers) || layers.length === 0)
    fail('layerDecayGroups options.layers', 'must be a non-empty array of name lists', layers);
  return layers.map((names, i) => {
    if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n === '')) {
      fail(`layerDecayGroups options.layers[${i}]`, 'must be a non-empty array of parameter names or globs', names);
    }
    return { params: [...names], learningRateScale: decay ** (layers.length - 1 - i) };
  });
}
