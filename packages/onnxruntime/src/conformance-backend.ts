import type { Optimizer } from '@stepsize/core';
import type { ParameterData } from './parameters.js';
import { ParameterUpdater, type UpdatePath } from './update/parameter-updater.js';

/** ONNX Runtime as a conformance backend: what {@link createConformanceBackend} returns. */
export interface OnnxruntimeConformanceBackend {
  readonly name: string;
  /** Starts a run of one case: an updater over copies of the case's parameters (a `Stepper`: step, values, dispose). */
  createStepper(args: {
    readonly optimizer: Optimizer;
    readonly params: Readonly<Record<string, ParameterData>>;
  }): Promise<ParameterUpdater>;
}

/**
 * ONNX Runtime as a conformance backend (structurally a `StepperBackend` of
 * `@stepsize/conformance`) on one update path: `'onnx'` runs core's optimizer
 * step traced into ONNX update graphs, `'engine'` applies the engine's kernels
 * to the tensors' data.
 *
 * @example
 * ```ts
 * await runSuite(createConformanceBackend({ update: 'engine' }), pytorchOptimizerCases());
 * ```
 */
export function createConformanceBackend(options: { readonly update: UpdatePath }): OnnxruntimeConformanceBackend {
  const path = options.update;
  return {
    name: `onnxruntime (${path === 'onnx' ? 'update graph' : 'engine kernels'})`,
    createStepper: ({ optimizer, params }) => ParameterUpdater.create({ optimizer, params, path }),
  };
}

/**
 * The update-graph path as a conformance backend, which `stepsize-conformance --backend onnxruntime` runs.
 *
 * @example
 * ```ts
 * await runSuite(conformanceBackend, pytorchOptimizerCases());
 * ```
 */
export const conformanceBackend: OnnxruntimeConformanceBackend = createConformanceBackend({ update: 'onnx' });
