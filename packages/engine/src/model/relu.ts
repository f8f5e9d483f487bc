/**
 * The relu of an {@link Mlp}'s hidden layers and its backward pass, over whole arrays.
 * {@link referenceRelu} defines the results; `fast.relu` of `createFastKernels` gives the
 * same bits in WebAssembly SIMD.
 *
 * @example
 * ```ts
 * const fast = await createFastKernels();
 * const model = new Mlp({ inputSize: 784, layers: [256, 10], matmul: fast.matmul, allocate: fast.allocate, relu: fast.relu });
 * ```
 */
export interface ReluKernels {
  /** `output[i] = input[i] > 0 ? input[i] : +0` (NaN, -0 and -Infinity give +0). */
  forward(args: { readonly input: Float32Array; readonly output: Float32Array }): void;
  /**
   * `output[i] = gradient[i] · (input[i] > 0 ? 1 : 0)`, a float32 product (so a negative
   * gradient gives -0 and a non-finite one NaN where the input is not positive).
   */
  backward(args: { readonly gradient: Float32Array; readonly input: Float32Array; readonly output: Float32Array }): void;
}

/**
 * `a[i] = activate('relu', z[i])` for every i, without a branch on the sign (half the signs
 * of a layer's pre-activations are negative, and a mispredicted branch per element costs
 * about 5x the loop): z · [z > 0] + 0 is z for z > 0 and +0 for z <= 0 and -0; only NaN and
 * -Infinity, where the product is NaN, take the (predictable) branch to 0.
 * @internal
 */
export function reluInto(z: Float32Array, a: Float32Array): void {
  for (let i = 0; i < z.length; i += 1) {
    const v = z[i] as number;
    const r = v * +(v > 0) + 0;
    a[i] = Number.isNaN(r) ? 0 : r;
  }
}

/**
 * `below[i] = sum[i] · activationSlope('relu', z[i])` for every i, branch-free: the slope is
 * the number of `z[i] > 0` (1 or 0), so the product is the same.
 * @internal
 */
export function reluBackwardInto(sum: Float32Array, z: Float32Array, below: Float32Array): void {
  for (let i = 0; i < below.length; i += 1) below[i] = (sum[i] as number) * +((z[i] as number) > 0);
}

/**
 * The relu kernels in plain loops: the definition the SIMD ones (`fast.relu`) equal bit for bit.
 *
 * @example
 * ```ts
 * const output = new Float32Array(3);
 * referenceRelu.forward({ input: Float32Array.of(-1, 0, 2), output }); // [0, 0, 2]
 * ```
 */
export const referenceRelu: ReluKernels = {
  forward: ({ input, output }) => reluInto(input, output),
  backward: ({ gradient, input, output }) => reluBackwardInto(gradient, input, output),
};
