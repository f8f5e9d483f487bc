import {
  type CompiledOptimizer,
  compileOptimizer,
  mapState,
  type Optimizer,
  type OptimizerState,
  type OptimizerStateJSON,
  type StepReport,
  stateFromJSON,
  stateTensors,
  stateToJSON,
} from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';
import { tfjsOps } from './ops.js';

/**
 * Core's pure step over tf tensors with its state in `tf.Variable`s: what the
 * training backend and {@link StepsizeOptimizer} both run. Each step runs in
 * `tf.tidy` and writes the state variables in place, so the tensor count stays
 * constant; the state reads and writes as core's JSON, checked before anything
 * changes.
 */
export class TfjsOptimizerState {
  /** The pure step every update calls. */
  readonly compiled: CompiledOptimizer;
  /** The state, made by `init` or the first `step` (its tensors are `tf.Variable`s). */
  state: OptimizerState<tf.Tensor> | undefined;

  constructor(optimizer: Optimizer) {
    this.compiled = compileOptimizer(optimizer);
  }

  /** Makes a fresh state for `params` (freeing any previous one). */
  init(params: Readonly<Record<string, tf.Variable>>): void {
    const fresh = tf.tidy(
      () => this.compiled.init(tfjsOps, params) as unknown as tf.TensorContainer,
    ) as unknown as OptimizerState<tf.Tensor>;
    this.dispose();
    this.state = fresh;
  }

  /** One step of core's update on `params` (the variables are written in place); the state is made on the first call. */
  step(params: Readonly<Record<string, tf.Variable>>, gradients: Readonly<Record<string, tf.Tensor>>): StepReport {
    if (this.state === undefined) this.init(params);
    const state = this.state as OptimizerState<tf.Tensor>;
    let report: StepReport | undefined;
    // Inside tidy: every intermediate is freed; the state's tensors are variables, written in place.
    this.state = tf.tidy(() => {
      const result = this.compiled.update(tfjsOps, { params, gradients, state });
      report = result.report;
      return result.state as unknown as tf.TensorContainer;
    }) as unknown as OptimizerState<tf.Tensor>;
    return report as StepReport;
  }

  /** The state as core's JSON (every tensor read back at once), or undefined before the first step. */
  async toJSON(): Promise<OptimizerStateJSON | undefined> {
    if (this.state === undefined) return undefined;
    const state = this.state;
    const tensors = stateTensors(state);
    const values = await Promise.all(tensors.map((tensor) => tensor.data()));
    const read = new Map(tensors.map((tensor, i) => [tensor, values[i] as ArrayLike<number>]));
    return stateToJSON(state, (tensor) => read.get(tensor) as ArrayLike<number>);
  }

  /**
   * Replaces the state with `json` (validated by core's `stateFromJSON`, then
   * `checkState` against `params`). Values go into the current state's variables
   * where one of the same size is in the same place (so tensors that callers hold,
   * from `getWeights`, stay valid), else into new variables shaped like their
   * parameter (flat when the size does not fit, for `checkState` to report). A
   * state that does not fit throws and leaves everything as it was, nothing leaked.
   */
  load(json: unknown, params: Readonly<Record<string, tf.Variable>>): void {
    const parsed = stateFromJSON(json, (values) => values);
    const current = this.state;
    const created: tf.Variable[] = [];
    /** New variables that go into a current one of the same size once the state is accepted. */
    const into = new Map<tf.Tensor, tf.Variable>();
    const names = Object.keys(params);
    const make = (values: number[], name: string, existing: tf.Tensor | undefined, slot?: string): tf.Tensor => {
      const own = params[name]?.shape;
      // A slot's own shape (Adafactor's row and column factors differ from their parameter's).
      const shape = own !== undefined && slot !== undefined ? this.compiled.slotShapes(names, name, own)[slot] : own;
      const fits = shape !== undefined && shape.reduce((a, b) => a * b, 1) === values.length;
      const variable = tf.tidy(() => tf.variable(tf.tensor(values, fits ? [...shape] : [values.length], 'float32'), false));
      created.push(variable);
      if (existing instanceof tf.Variable && existing.size === values.length) into.set(variable, existing);
      return variable;
    };
    // `param` names the parameter whose shape the tensors take (a slot record is keyed by slot).
    const named = (record: Readonly<Record<string, number[]>>, existing: Readonly<Record<string, tf.Tensor>> | undefined, param?: string) =>
      Object.fromEntries(
        Object.entries(record).map(([key, values]) => [
          key,
          make(values, param ?? key, existing?.[key], param === undefined ? undefined : key),
        ]),
      );
    const loaded: OptimizerState<tf.Tensor> = {
      ...parsed,
      params: Object.fromEntries(Object.entries(parsed.params).map(([name, slots]) => [name, named(slots, current?.params[name], name)])),
      accumulated: named(parsed.accumulated, current?.accumulated),
      ema: named(parsed.ema, current?.ema),
      // tfjs weights carry no shapes record (getWeights): the variables' shapes are the truth.
      ...(parsed.shapes === undefined &&
        this.compiled.optimizer.definition.math.shaped && {
          shapes: Object.fromEntries(Object.entries(params).map(([name, variable]) => [name, variable.shape])),
        }),
    };
    try {
      this.compiled.checkState(tfjsOps, params, loaded);
    } catch (error) {
      for (const variable of created) variable.dispose();
      throw error;
    }
    // Accepted: values go into the current variables where they fit, the rest of the old state is freed.
    const state = mapState(loaded, (tensor) => {
      const target = into.get(tensor);
      if (target === undefined) return tensor;
      target.assign(tensor);
      tensor.dispose();
      return target;
    });
    const kept = new Set(stateTensors(state));
    if (current !== undefined) for (const tensor of stateTensors(current)) if (!kept.has(tensor)) tensor.dispose();
    this.state = state;
  }

  /** Frees the state's tensors (never the parameters). */
  dispose(): void {
    if (this.state !== undefined) for (const tensor of stateTensors(this.state)) tensor.dispose();
    this.state = undefined;
  }
}
