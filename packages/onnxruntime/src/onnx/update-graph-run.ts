import * as ort from 'onnxruntime-node';
import { byName } from '../parameters.js';
import type { TracedUpdate, UpdateTensor } from '../update/trace-update.js';

/** What one run of an update graph gives: the probe's value, then outputs `out{i}` and sums `sum{i}` in order. */
export interface UpdateGraphRun {
  /** The non-finite probe (NaN when absent from the results). */
  readonly probe: number;
  readonly outputs: readonly Float32Array[];
  readonly sums: readonly number[];
}

/**
 * Runs a traced update graph's session: feeds input `in{i}` from `tensorValues(traced.inputs[i])`
 * (shaped as the trace recorded it) and the `scalars` input, and reads the outputs back.
 */
export async function runUpdateGraph(args: {
  readonly session: ort.InferenceSession;
  readonly traced: TracedUpdate;
  readonly scalars: Readonly<Record<string, number>>;
  readonly tensorValues: (tensor: UpdateTensor) => Float32Array | undefined;
}): Promise<UpdateGraphRun> {
  const { session, traced, tensorValues } = args;
  const scalars = Float32Array.from(traced.scalarNames, (name) => args.scalars[name] as number);
  const feeds = byName<ort.Tensor>();
  for (const key of session.inputNames) {
    if (key === 'scalars') {
      feeds[key] = new ort.Tensor('float32', scalars, [scalars.length]);
      continue;
    }
    const index = Number(key.slice(2));
    const tensor = traced.inputs[index] as UpdateTensor;
    const values = tensorValues(tensor);
    if (values === undefined) throw new Error(`update graph input ${key} (${tensor.kind} ${tensor.name}) has no value`);
    feeds[key] = new ort.Tensor('float32', values, traced.inputShapes[index] as number[]);
  }
  const results = await session.run(feeds);
  const first = (name: string): number => (results[name]?.data as Float32Array | undefined)?.[0] ?? Number.NaN;
  return {
    probe: first('probe'),
    outputs: traced.outputs.map((_, i) => results[`out${i}`]?.data as Float32Array),
    sums: traced.reductions.map((_, i) => first(`sum${i}`)),
  };
}
