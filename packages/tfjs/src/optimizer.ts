import {
  compileOptimizer,
  StepsizeError,
  optimizerFromJSON,
  type CompiledOptimizer,
  type Optimizer,
  type OptimizerState,
} from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';
import { tfjsOps } from './ops.js';
import { disposeState } from './training-state.js';

const HOST_PREFIX = '__stepsize_host__';
const BRAND = Symbol.for('stepsize.StepsizeOptimizer');

/** A tensor with a name, as tfjs optimizers exchange weights. */
type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * A real `tf.Optimizer` running any stepsize optimizer (and its schedules):
 * use it with `model.compile({ optimizer })` + `model.fit`, with
 * `optimizer.minimize(f)` or `applyGradients`. The update is core's math over
 * tf ops inside `tf.tidy` (no tensor leaks), on any tfjs backend. Parameters
 * are the variables' names (`dense_Dense1/kernel`), so groups can match them
 * with globs (`*bias`). State is available through `getWeights` /
 * `setWeights`; `getConfig` holds the stepsize spec (schedule state
 * included). Call {@link registerStepsizeOptimizer} once to let
 * `tf.loadLayersModel` restore it.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: new StepsizeOptimizer(adamW({ learningRate: schedule })), loss: 'categoricalCrossentropy' });
 * await model.fit(xs, ys, { epochs: 10 });
 * ```
 */
export class StepsizeOptimizer extends tf.Optimizer {
  /** tfjs serialization name. */
  static className = 'StepsizeOptimizer';
  /** The stepsize optimizer this runs. */
  readonly optimizer: Optimizer;
  /** Its pure step, which every update calls. */
  readonly compiled: CompiledOptimizer;
  /** Optimizer state, made at the first update (its tensors are `tf.Variable`s). */
  private state: OptimizerState<tf.Tensor> | undefined;

  /**
   * True for a StepsizeOptimizer. (tfjs makes `instanceof Optimizer`, and so
   * `instanceof` on subclasses, true for any object with minimize /
   * applyGradients, so `instanceof StepsizeOptimizer` cannot tell.)
   */
  static is(value: unknown): value is StepsizeOptimizer {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  constructor(optimizer: Optimizer) {
    super();
    Object.defineProperty(this, BRAND, { value: true });
    if (!optimizer || typeof optimizer.toJSON !== 'function' || !optimizer.definition) {
      throw new StepsizeError('StepsizeOptimizer(optimizer)', 'must be a stepsize optimizer, e.g. adam({ learningRate: 1e-3 })', optimizer);
    }
    this.optimizer = optimizer;
    this.compiled = compileOptimizer(optimizer);
  }

  /** The learning rate the next update will use (core's definition: the first group's, schedules evaluated). */
  get learningRate(): number {
    return this.compiled.learningRatesAt(this.state?.step ?? 0).learningRate;
  }

  /** The learning rate of every group at the next update. */
  get learningRates(): readonly number[] {
    return this.compiled.learningRatesAt(this.state?.step ?? 0).learningRates;
  }

  private variablesOf(names: readonly string[], where: string): Record<string, tf.Variable> {
    const registered = tf.engine().registeredVariables;
    const variables: Record<string, tf.Variable> = {};
    for (const name of names) {
      const variable = registered[name];
      if (variable === undefined) {
        throw new StepsizeError(
          `${where} gradient "${name}"`,
          'names no registered tf.Variable (give gradients keyed by variable name)',
          name,
        );
      }
      if (variable.dtype !== 'float32') {
        throw new StepsizeError(
          `${where} variable "${name}"`,
          `has dtype ${variable.dtype}; stepsize optimizers update float32 variables only`,
          variable.dtype,
        );
      }
      variables[name] = variable;
    }
    return variables;
  }

  /** Applies one step of gradients (keyed by variable name, or as a NamedTensor list). */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const gradients: tf.NamedTensorMap = Array.isArray(variableGradients)
      ? Object.fromEntries(variableGradients.map(({ name, tensor }) => [name, tensor]))
      : variableGradients;
    for (const [name, gradient] of Object.entries(gradients)) {
      if (gradient == null) {
        throw new StepsizeError(
          `applyGradients: gradient "${name}"`,
          'is null (the loss does not depend on this variable); pass varList to minimize',
          gradient,
        );
      }
    }
    const params = this.variablesOf(Object.keys(gradients), 'applyGradients:');
    const state = this.state ?? this.compiled.init(tfjsOps, params);
    // Inside tidy: every intermediate is freed; the state's tensors are variables, written in place.
    this.state = tf.tidy(
      () => this.compiled.update(tfjsOps, { params, gradients, state }).state as unknown as tf.TensorContainer,
    ) as unknown as OptimizerState<tf.Tensor>;
    this.incrementIterations();
  }

  /** `[iterations, ...slots as "<variable>/<slot>", ...host state]`. */
  override async getWeights(): Promise<NamedTensor[]> {
    const weights: NamedTensor[] = [await this.saveIterations()];
    if (!this.state) return weights;
    for (const [name, slots] of Object.entries(this.state.params)) {
      for (const [slot, tensor] of Object.entries(slots)) weights.push({ name: `${name}/${slot}`, tensor });
    }
    this.state.groups.forEach((host, i) => {
      for (const [key, value] of Object.entries(host)) weights.push({ name: `${HOST_PREFIX}/${i}/${key}`, tensor: tf.scalar(value) });
    });
    return weights;
  }

  /** Restores what {@link StepsizeOptimizer.getWeights} returned; the variables must exist (build the model first). */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const slotsByParam: Record<string, tf.NamedTensorMap> = {};
    const host: Record<string, number>[] = this.optimizer.groups.map(() => ({}));
    for (const { name, tensor } of rest) {
      if (name.startsWith(`${HOST_PREFIX}/`)) {
        const [, group, key] = name.split('/');
        const index = Number(group);
        if (!host[index] || key === undefined)
          throw new StepsizeError(`setWeights: "${name}"`, 'names no parameter group of this optimizer', name);
        host[index][key] = (await tensor.data())[0] as number;
        continue;
      }
      const cut = name.lastIndexOf('/');
      const param = name.slice(0, cut);
      const slots = slotsByParam[param] ?? {};
      slotsByParam[param] = slots;
      slots[name.slice(cut + 1)] = tensor;
    }
    if (Object.keys(slotsByParam).length === 0) return;
    const registered = tf.engine().registeredVariables;
    for (const name of Object.keys(slotsByParam)) {
      if (!registered[name]) {
        throw new StepsizeError(
          `setWeights: "${name}"`,
          'names no registered tf.Variable (build the model before restoring its optimizer)',
          name,
        );
      }
    }
    const params = this.variablesOf(Object.keys(slotsByParam), 'setWeights:');
    // Everything is checked before the state is replaced: a bad set leaves the optimizer as it was.
    const fresh = this.compiled.init(tfjsOps, params);
    const slots: Record<string, Record<string, tf.Tensor>> = {};
    const freeFresh = (): void => disposeState(fresh);
    for (const [name, given] of Object.entries(slotsByParam)) {
      const target = fresh.params[name] ?? {};
      for (const [slot, tensor] of Object.entries(given)) {
        const variable = target[slot];
        if (!variable) {
          freeFresh();
          throw new StepsizeError(`setWeights: "${name}/${slot}"`, `is not a state slot of ${this.optimizer.type}`, slot);
        }
        if (variable.size !== tensor.size) {
          freeFresh();
          throw new StepsizeError(`setWeights: "${name}/${slot}"`, `must have ${variable.size} elements`, tensor.size);
        }
      }
    }
    for (const [name, given] of Object.entries(slotsByParam)) {
      const target = fresh.params[name] ?? {};
      for (const [slot, tensor] of Object.entries(given)) tfjsOps.assign(target[slot] as tf.Tensor, tensor);
      slots[name] = { ...target };
    }
    const state: OptimizerState<tf.Tensor> = { ...fresh, step: this.iterations, groups: host, params: { ...fresh.params, ...slots } };
    try {
      this.compiled.checkState(tfjsOps, params, state);
    } catch (error) {
      freeFresh();
      throw error;
    }
    if (this.state) disposeState(this.state);
    this.state = state;
  }

  /** Frees the optimizer's state variables. */
  override dispose(): void {
    if (this.state) disposeState(this.state);
    this.state = undefined;
    super.dispose();
  }

  /** The stepsize spec (JSON; metric-driven schedule state included). */
  getConfig(): tf.serialization.ConfigDict {
    return { optimizer: this.optimizer.toJSON() as unknown as tf.serialization.ConfigDict };
  }

  /** Rebuilds from {@link StepsizeOptimizer.getConfig}. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(optimizerFromJSON(config.optimizer)) as T;
  }
}

/**
 * Registers {@link StepsizeOptimizer} with tfjs serialization so that
 * `tf.loadLayersModel` can restore a model saved with its optimizer. An explicit
 * call, not an import side effect.
 *
 * @example
 * ```ts
 * registerStepsizeOptimizer();
 * ```
 */
export function registerStepsizeOptimizer(): void {
  tf.serialization.registerClass(StepsizeOptimizer);
}
