/**
 * One training run described as data, so that every backend can run exactly
 * the same thing (the conformance suite's cross-backend check): an MLP with
 * dense layers (`dense{i}.weight` row-major `[in, out]`, `dense{i}.bias`), its
 * initial weights, the data, sequential batches (batch k of an epoch is
 * examples k·B ... k·B + B - 1, no shuffling), the number of steps and a
 * stepsize optimizer spec (schedules included).
 *
 * @example
 * ```ts
 * const setup: MlpTrainingSetup = { inputSize: 4, layers: [8, 3], activation: 'tanh', loss: 'softmaxCrossEntropy',
 *   weights, data: { inputs, targets, examples: 150 }, batchSize: 25, steps: 60, optimizer: { type: 'adam' } };
 * ```
 */
export interface MlpTrainingSetup {
  readonly inputSize: number;
  /** Dense layer widths, the last one being the output (logits). */
  readonly layers: readonly number[];
  /** Activation after every hidden layer. */
  readonly activation: 'relu' | 'tanh' | 'sigmoid';
  /** Loss on the logits; softmax cross-entropy takes one class index per example as target. */
  readonly loss: 'mse' | 'softmaxCrossEntropy' | 'binaryCrossEntropy';
  /** Initial weights by parameter name. */
  readonly weights: Readonly<Record<string, readonly number[]>>;
  readonly data: { readonly inputs: readonly number[]; readonly targets: readonly number[]; readonly examples: number };
  readonly batchSize: number;
  readonly steps: number;
  /** A stepsize optimizer spec (JSON). */
  readonly optimizer: Readonly<Record<string, unknown>>;
}
