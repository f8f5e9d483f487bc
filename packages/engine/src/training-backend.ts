import {
  checkParameterValues,
  type Dataset,
  type KernelTable,
  l2Norm,
  mlpScoring,
  type MlpSpec,
  type Optimizer,
  OptimizerRunner,
  readMlpSpec,
  readModelSource,
  StepsizeError,
  stateFromJSON,
  stateToJSON,
  type TrainingBackend,
} from '@stepsize/core';
import type { LossName } from './model/losses.js';
import { Mlp } from './model/mlp.js';
import { float32Ops } from './ops.js';
import { fastKernels } from './wasm/fast-kernels.js';

/**
 * Any model of yours the engine can train: parameters as Float32Arrays (updated
 * in place), and a function that returns a batch's mean loss and its gradients.
 */
export interface EngineModel {
  /** Parameters by name; the optimizer writes into these arrays. */
  readonly params: Readonly<Record<string, Float32Array>>;
  /** Shapes by parameter name (default: each parameter flat, `[length]`). */
  readonly shapes?: Readonly<Record<string, readonly number[]>> | undefined;
  /** Mean loss of a batch and d(loss)/d(param) for every parameter (buffers may be reused by the next call). */
  lossAndGradients(batch: Dataset): { readonly loss: number; readonly gradients: Readonly<Record<string, Float32Array>> };
  /** Outputs for a dataset (examples × width), for accuracy. Optional. */
  predict?(data: Dataset): Float32Array;
}

/** Options of {@link engineTrainingBackend}: one model source, and the kernels. */
export interface EngineTrainingBackendOptions {
  /** An MLP described as data (core's `MlpSpec`: layers, activation, loss, weights or seed), built as an {@link Mlp}. */
  readonly mlp?: MlpSpec | undefined;
  /** An {@link Mlp} (then give `loss`), or any {@link EngineModel}. */
  readonly model?: Mlp | EngineModel | undefined;
  /** The loss of an `Mlp` given as `model`. */
  readonly loss?: LossName | undefined;
  /** The optimizer's kernels. Default `fastKernels` (WebAssembly SIMD, bit-for-bit the reference); `'none'` runs core's generic math. */
  readonly kernels?: KernelTable | 'none' | undefined;
}

/** An Mlp as an EngineModel with its loss. */
function mlpModel(mlp: Mlp, loss: LossName): EngineModel {
  return {
    params: mlp.params,
    shapes: mlp.shapes,
    lossAndGradients: (batch) => mlp.lossAndGradients({ inputs: batch.inputs, targets: batch.targets, batch: batch.examples, loss }),
    predict: (data) => Float32Array.from(mlp.predict(data.inputs, data.examples)),
  };
}

const LOSSES: readonly string[] = ['mse', 'softmaxCrossEntropy', 'binaryCrossEntropy'];

/**
 * The engine as a training backend of core's `train()`: an {@link Mlp} (from an
 * `MlpSpec` or built by you) or any {@link EngineModel}, updated by core's pure
 * step with the engine's kernels.
 *
 * @example
 * ```ts
 * const backend = await engineTrainingBackend({ mlp: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 } });
 * const result = await train({ backend, optimizer: adamW({ learningRate: 0.01 }), data, batchSize: 16, steps: 300 });
 * ```
 */
export async function engineTrainingBackend(
  options: EngineTrainingBackendOptions,
): Promise<TrainingBackend<Readonly<Record<string, Float32Array>>>> {
  const where = 'engineTrainingBackend options';
  const source = readModelSource(options, where, 'an Mlp or your own model');
  let model: EngineModel;
  let scoring: ReturnType<typeof mlpScoring> | undefined;
  if (source === 'mlp') {
    const spec = options.mlp as MlpSpec;
    const weights = readMlpSpec(spec, `${where}.mlp`);
    const mlp = new Mlp({ inputSize: spec.inputSize, layers: spec.layers, activation: spec.activation });
    for (const [name, values] of Object.entries(weights)) (mlp.params[name] as Float32Array).set(values);
    model = mlpModel(mlp, spec.loss);
    scoring = mlpScoring(spec);
  } else if (options.model instanceof Mlp) {
    const { loss } = options;
    if (!LOSSES.includes(loss as string)) {
      throw new StepsizeError(
        `${where}.loss`,
        `must be "mse", "softmaxCrossEntropy" or "binaryCrossEntropy" with an Mlp, got ${JSON.stringify(loss)}`,
        loss,
      );
    }
    model = mlpModel(options.model, loss as LossName);
    scoring = mlpScoring({ inputSize: options.model.inputSize, layers: options.model.layers, loss: loss as LossName });
  } else {
    model = options.model as EngineModel;
    if (typeof model?.lossAndGradients !== 'function' || typeof model.params !== 'object' || model.params === null) {
      throw new StepsizeError(`${where}.model`, 'must be an Mlp or a model { params, lossAndGradients(batch) }', model);
    }
  }
  const kernels = options.kernels === 'none' ? undefined : (options.kernels ?? fastKernels);
  const shapes: Record<string, readonly number[]> = {};
  for (const [name, values] of Object.entries(model.params)) {
    if (!(values instanceof Float32Array)) throw new StepsizeError(`${where}.model.params.${name}`, 'must be a Float32Array', values);
    shapes[name] = [...(model.shapes?.[name] ?? [values.length])];
  }
  let runner: OptimizerRunner<Float32Array> | undefined;
  const active = (what: string): OptimizerRunner<Float32Array> => {
    if (runner === undefined)
      throw new StepsizeError(`engine backend ${what}`, 'needs an optimizer: call setOptimizer first (train does)', undefined);
    return runner;
  };
  return {
    name: 'engine',
    parameterShapes: shapes,
    exampleWidths: scoring?.exampleWidths,
    accuracy: scoring?.accuracy,
    setOptimizer: (optimizer: Optimizer) => {
      runner = new OptimizerRunner({ optimizer, ops: float32Ops, params: model.params, shapes, ...(kernels && { kernels }) });
    },
    lossAndGradients: (batch) => {
      const { loss: value, gradients } = model.lossAndGradients(batch);
      return { loss: value, gradientNorm: l2Norm(Object.values(gradients)), gradients };
    },
    applyGradients: (gradients) => active('applyGradients').step(gradients),
    evaluate: (data) => ({ loss: model.lossAndGradients(data).loss, outputs: model.predict?.(data) }),
    readParameters: () => Object.fromEntries(Object.entries(model.params).map(([name, values]) => [name, Float32Array.from(values)])),
    writeParameters: (values) => {
      checkParameterValues(values, shapes, 'parameters');
      for (const [name, param] of Object.entries(model.params)) param.set(values[name] as ArrayLike<number>);
    },
    readOptimizerState: () => stateToJSON(active('readOptimizerState').state, (t) => t),
    writeOptimizerState: (state) => active('writeOptimizerState').loadState(stateFromJSON(state, (values) => Float32Array.from(values))),
  };
}
