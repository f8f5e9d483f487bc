import type { CompiledOptimizer, OptimizerState, StepPlan } from '@stepsize/core';
import { byName, own } from '../parameters.js';
import { recordingToModel } from '../onnx/recording-model.js';
import { OpsTracer, type Traced } from './trace-ops.js';

/** A tensor the update graph reads or writes: a parameter, its gradient, a slot, an accumulator or an average. */
export type UpdateTensor =
  | { readonly kind: 'param' | 'grad' | 'accumulated' | 'ema'; readonly name: string }
  | { readonly kind: 'slot'; readonly name: string; readonly slot: string };

/** One step of a compiled optimizer as an ONNX model. */
export interface TracedUpdate {
  readonly model: Uint8Array;
  /** Graph input `in{i}` is fed from `inputs[i]`. */
  readonly inputs: readonly UpdateTensor[];
  /** The shape of graph input `in{i}` (a slot's may differ from its parameter's: Adafactor's factors). */
  readonly inputShapes: readonly (readonly number[])[];
  /** Graph output `out{i}` replaces `outputs[i]` (tensors the step leaves as they were are not outputs). */
  readonly outputs: readonly UpdateTensor[];
  /** Element `i` of the `scalars` input is `plan.scalars[scalarNames[i]]`. */
  readonly scalarNames: readonly string[];
  /** Whether the graph has the output `probe` (not finite when some gradient element is not). */
  readonly probe: boolean;
  /**
   * The group sums the optimizer's host state follows (Prodigy, D-Adaptation): graph output
   * `sum{i}` is the sum `name` of group `group`, read after the run for `CompiledOptimizer.absorb`.
   */
  readonly reductions: readonly { readonly group: number; readonly name: string }[];
}

/**
 * Traces the tensor program of a step plan (core's `execute`, and the non-finite
 * probe) into an ONNX model. The graph depends on `plan.structure` only: build it
 * once per structure and feed each step its own scalars.
 *
 * @internal The ONNX update path's machinery.
 */
export function traceUpdate(args: {
  readonly compiled: CompiledOptimizer;
  readonly plan: StepPlan;
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  /** The state the plan was made for (which slots, accumulators and averages exist). */
  readonly state: OptimizerState<unknown>;
}): TracedUpdate {
  const { compiled, plan, shapes, state } = args;
  const tracer = new OpsTracer();
  const inputs: UpdateTensor[] = [];
  const inputShapes: (readonly number[])[] = [];
  const keys = new Map<UpdateTensor, string>();
  const names = Object.keys(shapes);
  const input = (tensor: UpdateTensor): Traced => {
    const key = `in${inputs.length}`;
    inputs.push(tensor);
    keys.set(tensor, key);
    const shape = shapes[tensor.name] as number[];
    // Slots of other shapes than their parameter's (Adafactor's row and column factors).
    const slotShape = tensor.kind === 'slot' ? compiled.slotShapes(names, tensor.name, shape)[tensor.slot] : undefined;
    inputShapes.push(slotShape ?? shape);
    return tracer.input(key, slotShape ?? shape);
  };
  // Keyed by parameter names: records with no prototype, so that every name is data.
  const params = byName<Traced>();
  const gradients = byName<Traced>();
  const slots = byName<Record<string, Traced>>();
  const accumulated = byName<Traced>();
  const ema = byName<Traced>();
  for (const name of names) {
    params[name] = input({ kind: 'param', name });
    gradients[name] = input({ kind: 'grad', name });
    slots[name] = {};
    for (const slot of Object.keys(own(state.params, name) ?? {}))
      (slots[name] as Record<string, Traced>)[slot] = input({ kind: 'slot', name, slot });
    if (Object.hasOwn(state.accumulated, name)) accumulated[name] = input({ kind: 'accumulated', name });
    if (Object.hasOwn(state.ema, name)) ema[name] = input({ kind: 'ema', name });
  }
  const traced: OptimizerState<Traced> = { ...state, params: slots, accumulated, ema };
  const scalarNames = Object.keys(plan.scalars);
  const result = compiled.execute(tracer.ops, plan, { params, gradients, state: traced, scalars: tracer.scalarInputs(scalarNames) });
  const probe = compiled.probe(tracer.ops, gradients);
  const outputs: UpdateTensor[] = [];
  const graphOutputs: Record<string, Traced> = {};
  const produce = (tensor: UpdateTensor, value: Traced | undefined): void => {
    if (value === undefined || tracer.inputKey(value) !== undefined) return;
    graphOutputs[`out${outputs.length}`] = value;
    outputs.push(tensor);
  };
  for (const name of names) {
    produce({ kind: 'param', name }, own(result.params, name));
    for (const [slot, value] of Object.entries(own(result.state.params, name) ?? {})) produce({ kind: 'slot', name, slot }, value);
    produce({ kind: 'accumulated', name }, own(result.state.accumulated, name));
    produce({ kind: 'ema', name }, own(result.state.ema, name));
  }
  if (probe !== undefined) graphOutputs.probe = probe;
  const reductions: { group: number; name: string }[] = [];
  result.reductions?.forEach((sums, group) => {
    for (const [name, value] of Object.entries(sums ?? {})) {
      graphOutputs[`sum${reductions.length}`] = value;
      reductions.push({ group, name });
    }
  });
  const inputNames = Object.fromEntries([...keys.values()].map((key) => [key, key]));
  return {
    model: recordingToModel(tracer.recording(), inputNames, graphOutputs),
    inputs,
    inputShapes,
    outputs,
    scalarNames,
    probe: probe !== undefined,
    reductions,
  };
}
