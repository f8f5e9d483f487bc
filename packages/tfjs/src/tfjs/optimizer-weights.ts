import { type OptimizerState, type OptimizerStateJSON, StepsizeError } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';

/** A tensor with a name, as tfjs optimizers exchange weights. */
export type NamedTensor = { name: string; tensor: tf.Tensor };

const HOST_PREFIX = '__stepsize_host__';

/** A number as the two int32 halves of its float64 bits: host numbers survive getWeights exactly (float32 would round them). */
const exactNumber = (value: number): tf.Tensor => tf.tensor1d(new Int32Array(Float64Array.of(value).buffer), 'int32');

/** A number saved by {@link exactNumber}, or a float32 scalar as older versions saved host numbers. */
const readNumber = (dtype: string, values: readonly number[]): number =>
  dtype === 'int32' && values.length === 2 ? (new Float64Array(Int32Array.from(values).buffer)[0] as number) : (values[0] as number);

/**
 * An optimizer state as tfjs's optimizer weights (after `iterations`): the slots as tfjs
 * names them, `"<variable>/<slot>"`, then the rest under `__stepsize_host__/`: each group's
 * host numbers as `<group>/<key>`, `accumulated/<variable>`, `ema/<variable>`, a
 * `param/<variable>` marker per parameter and the `counter/` step, skipped and microStep.
 */
export function stateWeights(state: OptimizerState<tf.Tensor>): NamedTensor[] {
  const weights: NamedTensor[] = [];
  for (const [name, slots] of Object.entries(state.params)) {
    for (const [slot, tensor] of Object.entries(slots)) weights.push({ name: `${name}/${slot}`, tensor });
  }
  const host = (key: string, tensor: tf.Tensor): void => void weights.push({ name: `${HOST_PREFIX}/${key}`, tensor });
  state.groups.forEach((values, i) => {
    for (const [key, value] of Object.entries(values)) host(`${i}/${key}`, exactNumber(value));
  });
  for (const [name, tensor] of Object.entries(state.accumulated)) host(`accumulated/${name}`, tensor);
  for (const [name, tensor] of Object.entries(state.ema)) host(`ema/${name}`, tensor);
  for (const name of Object.keys(state.params)) host(`param/${name}`, exactNumber(0));
  for (const key of ['step', 'skipped', 'microStep'] as const) host(`counter/${key}`, exactNumber(state[key]));
  return weights;
}

/**
 * The state JSON of weights {@link stateWeights} wrote (or the slots and host numbers an
 * older version saved: the step is then `iterations`), undefined when they hold no
 * parameter. A weight of another kind is an error naming it; nothing is checked against
 * variables here.
 */
export async function readStateWeights(
  weights: readonly NamedTensor[],
  iterations: number,
  groupCount: number,
): Promise<OptimizerStateJSON | undefined> {
  const rest = weights;
  const values = await Promise.all(rest.map(async ({ tensor }) => Array.from(await tensor.data())));
  const params: Record<string, Record<string, number[]>> = {};
  const accumulated: Record<string, number[]> = {};
  const ema: Record<string, number[]> = {};
  const counters: Record<string, number> = { step: iterations, skipped: 0, microStep: 0 };
  const groups: Record<string, number>[] = Array.from({ length: groupCount }, () => ({}));
  rest.forEach(({ name, tensor }, i) => {
    const value = values[i] as number[];
    const number = readNumber(tensor.dtype, value);
    const [kind, key, ...more] = name.startsWith(`${HOST_PREFIX}/`) ? name.slice(HOST_PREFIX.length + 1).split('/') : [];
    const bad = (): never => {
      throw new StepsizeError(`setWeights: "${name}"`, 'is not a weight of a StepsizeOptimizer of this optimizer', name);
    };
    if (kind === undefined) {
      const cut = name.lastIndexOf('/');
      if (cut < 1) bad();
      params[name.slice(0, cut)] = { ...params[name.slice(0, cut)], [name.slice(cut + 1)]: value };
    } else if (key === undefined || more.length > 0) bad();
    else if (kind === 'accumulated') accumulated[key] = value;
    else if (kind === 'ema') ema[key] = value;
    else if (kind === 'param') params[key] = { ...params[key] };
    else if (kind === 'counter' && key in counters) counters[key] = number;
    else if (/^\d+$/.test(kind) && groups[Number(kind)] !== undefined) (groups[Number(kind)] as Record<string, number>)[key] = number;
    else bad();
  });
  if (Object.keys(params).length === 0) return undefined;
  return { step: 0, skipped: 0, microStep: 0, ...counters, groups, params, accumulated, ema };
}
