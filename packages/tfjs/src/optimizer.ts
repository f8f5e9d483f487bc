import {
  StepsizeError,
  optimizerFromJSON,
  type CompiledOptimizer,
  type Optimizer,
  type OptimizerStateJSON,
  type StepReport,
} from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';
import { tfjsOps } from './ops.js';
import { type NamedTensor, readStateWeights, stateWeights } from './tfjs/optimizer-weights.js';
import { TfjsOptimizerState } from './training-state.js';

const BRAND = Symbol.for('stepsize.StepsizeOptimizer');
const KEYED = 'give gradients keyed by variable name';

function checkOptimizer(optimizer: Optimizer, where: string): void {
  if (!optimizer || typeof optimizer.toJSON !== 'function' || !optimizer.definition) {
    throw new StepsizeError(where, 'must be a stepsize optimizer, e.g. adam({ learningRate: 1e-3 })', optimizer);
  }
}

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
  private current: Optimizer;
  /** Optimizer state, made at the first update (its tensors are `tf.Variable`s). */
  private holder: TfjsOptimizerState;
  private report: StepReport | undefined;

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
    checkOptimizer(optimizer, 'StepsizeOptimizer(optimizer)');
    this.current = optimizer;
    this.holder = new TfjsOptimizerState(optimizer);
  }

  /** The stepsize optimizer this runs. */
  get optimizer(): Optimizer {
    return this.current;
  }

  /**
   * Runs `body` with the variables set to the optimizer's evaluation parameters, then puts
   * the training parameters back (also when `body` throws): for schedule-free optimizers
   * (`scheduleFreeAdamW`, `scheduleFreeSgd`) that is `x = (y - (1 - b1) z) / b1`, the point
   * to evaluate, predict and save at, while training takes gradients at `y`. For other
   * optimizers, and before the first update, `body` just runs. `model.fit`'s own
   * validation runs at `y`: evaluate after `fit` inside this helper (or train with core's
   * `train()`, which swaps by itself).
   *
   * @example
   * ```ts
   * const optimizer = new StepsizeOptimizer(scheduleFreeAdamW({ learningRate: 0.0025 }));
   * model.compile({ optimizer, loss: 'meanSquaredError' });
   * await model.fit(xs, ys, { epochs: 5 });
   * const loss = await optimizer.withEvaluationParameters(() => model.evaluate(xs, ys));
   * await optimizer.withEvaluationParameters(() => model.save('file://model'));
   * ```
   */
  async withEvaluationParameters<R>(body: () => R | Promise<R>): Promise<R> {
    const state = this.holder.state;
    if (state === undefined || this.current.definition.math.evaluate === undefined) return body();
    const params = this.variablesOf(Object.keys(state.params), 'withEvaluationParameters: parameter', KEYED);
    const evaluation = tf.tidy(
      () => this.compiled.evaluationParams(tfjsOps, params, state) as unknown as tf.TensorContainer,
    ) as unknown as Record<string, tf.Tensor>;
    const training = Object.fromEntries(Object.entries(params).map(([name, variable]) => [name, tf.clone(variable)]));
    try {
      for (const [name, variable] of Object.entries(params)) variable.assign(evaluation[name] as tf.Tensor);
      return await body();
    } finally {
      for (const [name, variable] of Object.entries(params)) variable.assign(training[name] as tf.Tensor);
      for (const tensor of [...Object.values(evaluation), ...Object.values(training)]) tensor.dispose();
    }
  }

  /** The optimizer state as core's JSON (`OptimizerStateJSON`), or undefined before the first update. */
  async readState(): Promise<OptimizerStateJSON | undefined> {
    return this.holder.toJSON();
  }

  /**
   * Runs `optimizer` from the next update on, with `state` (core's JSON; default: the current
   * state, kept; null: a fresh state, made at the next update), e.g. `scaleLearningRate(this.optimizer, 0.5)` to halve every rate. The state is
   * checked against the variables first: one that does not fit throws and changes nothing.
   *
   * @example
   * ```ts
   * await stepsizeOptimizer.useOptimizer(scaleLearningRate(stepsizeOptimizer.optimizer, 0.5));
   * ```
   */
  async useOptimizer(optimizer: Optimizer, state?: OptimizerStateJSON | null): Promise<void> {
    checkOptimizer(optimizer, 'useOptimizer(optimizer)');
    const json = state === null ? undefined : (state ?? (await this.holder.toJSON()));
    const holder = new TfjsOptimizerState(optimizer);
    if (json !== undefined) {
      const names = typeof json === 'object' && json !== null && typeof json.params === 'object' ? Object.keys(json.params) : [];
      holder.load(json, this.variablesOf(names, 'useOptimizer: parameter', KEYED));
    }
    this.holder.dispose();
    this.holder = holder;
    this.current = optimizer;
  }

  /** Its pure step, which every update calls. */
  get compiled(): CompiledOptimizer {
    return this.holder.compiled;
  }

  /** The learning rate the next update will use (core's definition: the first group's, schedules evaluated). */
  get learningRate(): number {
    return this.compiled.learningRatesAt(this.holder.state?.step ?? 0).learningRate;
  }

  /** The learning rate of every group at the next update. */
  get learningRates(): readonly number[] {
    return this.compiled.learningRatesAt(this.holder.state?.step ?? 0).learningRates;
  }

  /**
   * What the latest `applyGradients` did (core's `StepReport`): `'updated'` (with the
   * update count and the learning rates it used), `'accumulated'` (a micro-step of
   * `accumulationSteps`) or `'skipped'` (a non-finite gradient under `nonFinite: 'skip'`);
   * undefined before the first one. A `model.fit` callback reads it in `onBatchEnd`.
   */
  get lastReport(): StepReport | undefined {
    return this.report;
  }

  /** The registered float32 variables of `names`; errors name `<where> "<name>"` and say what to do (`hint`). */
  private variablesOf(names: readonly string[], where: string, hint: string): Record<string, tf.Variable> {
    const registered = tf.engine().registeredVariables;
    const variables: Record<string, tf.Variable> = {};
    for (const name of names) {
      const variable = registered[name];
      if (variable === undefined) throw new StepsizeError(`${where} "${name}"`, `names no registered tf.Variable (${hint})`, name);
      if (variable.dtype !== 'float32') {
        throw new StepsizeError(
          `${where} "${name}"`,
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
    this.report = this.holder.step(this.variablesOf(Object.keys(gradients), 'applyGradients: gradient', KEYED), gradients);
    this.incrementIterations();
  }

  /**
   * `[iterations, ...slots as "<variable>/<slot>", ...]`: the slots as tfjs names them,
   * then the rest of the state under `__stepsize_host__/` (each group's host numbers as
   * `<group>/<key>`, then `accumulated/<variable>`, `ema/<variable>`, a `param/<variable>`
   * marker per parameter and the `counter/` step, skipped and microStep).
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const state = this.holder.state;
    return [await this.saveIterations(), ...(state ? stateWeights(state) : [])];
  }

  /**
   * Restores what {@link StepsizeOptimizer.getWeights} returned (or the slots and host
   * numbers an older version saved: the step is then `iterations`); the variables must
   * exist (build the model first). A set that does not fit throws and changes nothing.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    if (!Array.isArray(weightValues) || weightValues.length === 0 || !(weightValues[0]?.tensor instanceof tf.Tensor)) {
      throw new StepsizeError(
        'setWeights(weightValues)',
        'must be the list getWeights returned: [iterations, ...named tensors]',
        weightValues,
      );
    }
    // tfjs's extractIterations would set the count before the rest is checked: read it here, set it on success.
    const iterations = (await (weightValues[0] as NamedTensor).tensor.data())[0] as number;
    const json = await readStateWeights(weightValues.slice(1), iterations, this.optimizer.groups.length);
    if (json === undefined) {
      this.iterations_ = iterations;
      return;
    }
    this.holder.load(json, this.variablesOf(Object.keys(json.params), 'setWeights:', 'build the model before restoring its optimizer'));
    this.iterations_ = iterations;
  }

  /** Frees the optimizer's state variables. */
  override dispose(): void {
    this.holder.dispose();
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
