import type { Optimizer, StepReport } from '@stepsize/core';
import { type ParameterData, ParameterUpdater, type UpdatePath } from './update/parameter-updater.js';

/** A run of the conformance suite on one update path (structurally a `Stepper` of `@stepsize/conformance`). */
interface UpdaterStepper {
  step(gradients: Readonly<Record<string, Float32Array>>): Promise<StepReport>;
  values(name: string): Float32Array;
  dispose(): Promise<void>;
}

/** ONNX Runtime as a conformance backend: what {@link createConformanceBackend} returns. */
export interface OnnxruntimeConformanceBackend {
  readonly name: string;
  /** Starts a run of one case: an updater over copies of the case's parameters. */
  createStepper(args: { readonly optimizer: Optimizer; readonly params: Readonly<Record<string, ParameterData>> }): Promise<UpdaterStepper>;
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
    createStepper: async ({ optimizer, params }) => {
      const updater = await ParameterUpdater.create({ optimizer, params, path });
      return {
        step: (gradients) => updater.step(gradients),
        values: (name) => updater.values(name),
        dispose: () => updater.release(),
      };
    },
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
