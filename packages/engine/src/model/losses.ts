/** The losses the engine's trainer supports. */
export type LossName = 'mse' | 'softmaxCrossEntropy' | 'binaryCrossEntropy';

/**
 * Mean loss of `outputs` (batch × width logits or values) against `targets`,
 * writing d(loss)/d(outputs) into `gradient`.
 *
 * - `mse`: mean over all elements of (o - y)² (PyTorch `MSELoss`, Keras `mean_squared_error`).
 * - `softmaxCrossEntropy`: `targets` holds one class index per example;
 *   mean over the batch of -log softmax(o)[y] (PyTorch `CrossEntropyLoss`),
 *   computed with the log-sum-exp shift.
 * - `binaryCrossEntropy`: on logits, mean over all elements of
 *   max(o, 0) - o y + log(1 + exp(-|o|)) (PyTorch `BCEWithLogitsLoss`).
 */
export function lossAndGradient(
  loss: LossName,
  outputs: Float32Array,
  targets: Float32Array,
  batch: number,
  width: number,
  gradient: Float32Array,
): number {
  let total = 0;
  if (loss === 'mse') {
    const n = batch * width;
    for (let i = 0; i < n; i += 1) {
      const d = (outputs[i] as number) - (targets[i] as number);
      total += d * d;
      gradient[i] = (2 * d) / n;
    }
    return total / n;
  }
  if (loss === 'binaryCrossEntropy') {
    const n = batch * width;
    for (let i = 0; i < n; i += 1) {
      const o = outputs[i] as number;
      const y = targets[i] as number;
      total += Math.max(o, 0) - o * y + Math.log1p(Math.exp(-Math.abs(o)));
      gradient[i] = (1 / (1 + Math.exp(-o)) - y) / n;
    }
    return total / n;
  }
  for (let b = 0; b < batch; b += 1) {
    const row = b * width;
    let max = -Infinity;
    for (let j = 0; j < width; j += 1) max = Math.max(max, outputs[row + j] as number);
    let sum = 0;
    for (let j = 0; j < width; j += 1) sum += Math.exp((outputs[row + j] as number) - max);
    const label = targets[b] as number;
    if (!Number.isInteger(label) || label < 0 || label >= width) {
      throw new RangeError(`softmaxCrossEntropy: targets[${b}] must be a class index in [0, ${width - 1}], got ${label}`);
    }
    total += Math.log(sum) + max - (outputs[row + label] as number);
    for (let j = 0; j < width; j += 1) {
      const p = Math.exp((outputs[row + j] as number) - max) / sum;
      gradient[row + j] = (p - (j === label ? 1 : 0)) / batch;
    }
  }
  return total / batch;
}
