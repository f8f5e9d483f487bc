import { type OptimizerState, type OptimizerStateJSON, stateFromJSON, stateToJSON } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';

/** Every tensor of an optimizer state: slots, gradient accumulators, weight EMA. */
function stateTensors<T>(state: OptimizerState<T>): T[] {
  const tensors: T[] = [];
  for (const slots of Object.values(state.params)) tensors.push(...Object.values(slots));
  tensors.push(...Object.values(state.accumulated), ...Object.values(state.ema));
  return tensors;
}

/**
 * Frees the tensors of an optimizer state (never the parameters).
 */
export function disposeState(state: OptimizerState<tf.Tensor>): void {
  for (const tensor of stateTensors(state)) tensor.dispose();
}

/**
 * An optimizer state as JSON, its tensors read back asynchronously (all at once).
 */
export async function readStateJSON(state: OptimizerState<tf.Tensor>): Promise<OptimizerStateJSON> {
  const tensors = stateTensors(state);
  const values = await Promise.all(tensors.map((tensor) => tensor.data()));
  const read = new Map(tensors.map((tensor, i) => [tensor, values[i] as ArrayLike<number>]));
  return stateToJSON(state, (tensor) => read.get(tensor) as ArrayLike<number>);
}

/**
 * An optimizer state of new `tf.Variable`s from JSON (validated by core's
 * `stateFromJSON` before any tensor is made), each tensor shaped like its
 * parameter when it has the parameter's size (else flat, for `checkState` to
 * report). Returns the variables made too, to free them if the state is refused.
 */
export function stateFromJSONAsVariables(
  json: OptimizerStateJSON,
  shapes: Readonly<Record<string, readonly number[]>>,
): { state: OptimizerState<tf.Tensor>; created: tf.Variable[] } {
  const parsed = stateFromJSON(json, (values) => values);
  const created: tf.Variable[] = [];
  const make = (values: number[], name: string): tf.Tensor => {
    const shape = shapes[name];
    const fits = shape !== undefined && shape.reduce((a, b) => a * b, 1) === values.length;
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, fits ? [...shape] : [values.length], 'float32'), false));
    created.push(variable);
    return variable;
  };
  const mapNamed = (record: Readonly<Record<string, number[]>>): Record<string, tf.Tensor> =>
    Object.fromEntries(Object.entries(record).map(([name, values]) => [name, make(values, name)]));
  const state: OptimizerState<tf.Tensor> = {
    ...parsed,
    params: Object.fromEntries(
      Object.entries(parsed.params).map(([name, slots]) => [
        name,
        Object.fromEntries(Object.entries(slots).map(([slot, values]) => [slot, make(values, name)])),
      ]),
    ),
    accumulated: mapNamed(parsed.accumulated),
    ema: mapNamed(parsed.ema),
  };
  return { state, created };
}
