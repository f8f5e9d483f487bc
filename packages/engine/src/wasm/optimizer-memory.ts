import { compileOptimizer, type Optimizer } from '@stepsize/core';
import { fastMemoryBytes } from './fast-kernels.js';

/** The largest fixed WebAssembly memory for the kernels (4 GiB less their 128 KiB of control and scratch). */
const MAX_FIXED_BYTES = 4 * 1024 ** 3 - 128 * 1024;

/**
 * The `fixedMemoryBytes` of `createFastKernels` that keeps an optimizer's whole working set
 * resident: for every parameter (by name, its number of elements) the parameter, its
 * gradient, the optimizer's slots for it (of their own sizes, with `shapes`) and the weight average when `emaDecay` is set,
 * capped at the largest memory WebAssembly allows (arrays beyond it are ordinary ones).
 *
 * @example
 * ```ts
 * const fast = await createFastKernels({ fixedMemoryBytes: optimizerMemoryBytes({ optimizer: adam(), sizes: { w: 1_000_000, b: 1000 } }) });
 * ```
 */
export function optimizerMemoryBytes(args: {
  readonly optimizer: Optimizer;
  readonly sizes: Readonly<Record<string, number>>;
  /** Parameter shapes, for optimizers whose slots follow them (Muon, Adafactor). Default: each flat, `[size]`. */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
}): number {
  const names = Object.keys(args.sizes);
  const compiled = compileOptimizer(args.optimizer);
  const lengths = names.flatMap((name) => {
    const size = args.sizes[name] as number;
    const shape = (args.shapes && Object.hasOwn(args.shapes, name) ? args.shapes[name] : undefined) ?? [size];
    const slots = Object.values(compiled.slotShapes(names, name, shape)).map((s) => s.reduce((a, b) => a * b, 1));
    return [size, size, ...slots, ...(args.optimizer.emaDecay === undefined ? [] : [size])];
  });
  return Math.min(fastMemoryBytes(lengths), MAX_FIXED_BYTES);
}
