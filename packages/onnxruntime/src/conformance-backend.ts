import type { Optimizer, StepReport } from '@stepsize/core';
import { ParameterUpdater, type ParameterData, type UpdatePath } from './update/parameter-updater.js';

/** A run of the conformance suite on one update path (structurally a `Stepper` of `@stepsize/conformance`). */
interface UpdaterStepper {
  step(gradients: Readonly<Record<string, Float32Array>>): Promise<StepReport>;
  values(name: string): Float32Array;
  dispose(): Promise<void>;
}

/**
 * ONNX Runtime as a conformance backend (structurally a `StepperBackend` of
 * `@stepsize/conformance`) on one update path: `'onnx'` runs core's optimizer
 * math traced into ONNX update graphs, `'engine'` applies the engine's kernels
 * to the tensors' data.
 *
 * @example
 * ```ts
 * await runSuite(onnxConformanceBackend('onnx'), pytorchOptimizerCases());
 * ```
 */
export function onnxConformanceBackend(path: UpdatePath): {
  readonly name: string;
  /** Starts a run of one case: an updater over copies of the case's parameters. */
  createStepper(args: { readonly optimizer: Optimizer; readonly params: Readonly<Record<string, ParameterData>> }): Promise<UpdaterStepper>;
} {
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

/** The update-graph path, which `stepsize-conformance --backend onnxruntime` runs. */
export const conformanceBackend = onnxConformanceBackend('onnx');
