import type { AdamScalar, SgdScalar } from '@stepsize/core';

/**
 * The float arguments of each WebAssembly optimizer kernel, in order: names of the
 * optimizer's scalars in core (`satisfies` makes a renamed scalar a compile error here),
 * and the names of the f32 parameters of the export in kernels.wat (assemble.mjs refuses
 * to build when the two differ). The pointer and integer arguments come first.
 */
export const WASM_FLOAT_ARGUMENTS = {
  adam: [
    'beta1',
    'oneMinusBeta1',
    'beta2',
    'oneMinusBeta2',
    'epsilon',
    'weightDecay',
    'decayFactor',
    'negativeStepSize',
    'biasCorrection2Sqrt',
  ] as const satisfies readonly AdamScalar[],
  /** Adam without maximize, L2 or AMSGrad: `decayFactor` is 1 when there is no decoupled decay. */
  adamPlain: [
    'beta1',
    'oneMinusBeta1',
    'beta2',
    'oneMinusBeta2',
    'epsilon',
    'decayFactor',
    'negativeStepSize',
    'biasCorrection2Sqrt',
  ] as const satisfies readonly AdamScalar[],
  sgd: ['negativeLearningRate', 'weightDecay', 'bufferDecay', 'gradientWeight', 'momentum'] as const satisfies readonly SgdScalar[],
  /** Plain momentum: no maximize, L2, Nesterov or dampening. */
  sgdMomentum: ['negativeLearningRate', 'bufferDecay'] as const satisfies readonly SgdScalar[],
};

/** The float arguments of `kernel`, rounded to float32 as `Ops.scalar` does, in the export's order. */
export function floatArguments<K extends keyof typeof WASM_FLOAT_ARGUMENTS>(
  kernel: K,
  scalars: Readonly<Record<(typeof WASM_FLOAT_ARGUMENTS)[K][number], number>>,
  overrides: Partial<Record<(typeof WASM_FLOAT_ARGUMENTS)[K][number], number>> = {},
): number[] {
  const names = WASM_FLOAT_ARGUMENTS[kernel] as readonly (typeof WASM_FLOAT_ARGUMENTS)[K][number][];
  return names.map((name) => Math.fround(overrides[name] ?? scalars[name]));
}
