import { StepsizeError } from '../errors.js';
import { seededPermutation } from './random.js';

/**
 * Examples as row-major float32 data: `inputs` holds `examples` rows of the
 * model's input, `targets` one row of targets per example (class indices for
 * softmax cross-entropy, one value per output otherwise). A batch is a dataset.
 *
 * @example
 * ```ts
 * const data: Dataset = { inputs: Float32Array.of(0, 1, 1, 0), targets: Float32Array.of(1, 0), examples: 2 };
 * ```
 */
export interface Dataset {
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  readonly examples: number;
}

/** Values per example of a dataset's inputs and targets, after checking them (errors name `where`). */
export function datasetWidths(
  data: Dataset,
  where: string,
  expected: { readonly input?: number | undefined; readonly target?: number | undefined } = {},
): { readonly input: number; readonly target: number } {
  if (typeof data !== 'object' || data === null) throw new StepsizeError(where, 'must be a dataset { inputs, targets, examples }', data);
  if (!Number.isSafeInteger(data.examples) || data.examples < 1) {
    throw new StepsizeError(`${where}.examples`, `must be an integer >= 1, got ${String(data.examples)}`, data.examples);
  }
  const width = (values: unknown, name: 'inputs' | 'targets', known: number | undefined): number => {
    if (!(values instanceof Float32Array)) throw new StepsizeError(`${where}.${name}`, 'must be a Float32Array', values);
    if (known !== undefined && values.length !== data.examples * known) {
      throw new StepsizeError(
        `${where}.${name}`,
        `must hold examples * ${known} = ${data.examples * known} values (${known} per example), got ${values.length}`,
        values.length,
      );
    }
    const perExample = values.length / data.examples;
    if (!Number.isInteger(perExample) || perExample < 1) {
      throw new StepsizeError(
        `${where}.${name}`,
        `must hold a whole number of values per example (${data.examples} examples), got ${values.length}`,
        values.length,
      );
    }
    return perExample;
  };
  return { input: width(data.inputs, 'inputs', expected.input), target: width(data.targets, 'targets', expected.target) };
}

/**
 * The mini-batches of a training run, the same on every backend: each epoch
 * visits the examples in a seeded order (`seededPermutation(examples, seed ·
 * 1 000 003 + epoch)`), batch `k` of an epoch takes positions `k·B ... k·B + B − 1`,
 * and the last partial batch is dropped. Batches are numbered across epochs (the
 * loop's cursor counts every batch drawn, so micro-batches of an accumulation
 * and batches after a skipped one are all distinct); any batch is computed
 * directly (resume at any batch).
 *
 * @example
 * ```ts
 * const sampler = new BatchSampler({ data, batchSize: 16, seed: 0 });
 * const { inputs, targets, epoch } = sampler.batch(0);
 * ```
 */
export class BatchSampler {
  readonly batchesPerEpoch: number;
  readonly inputWidth: number;
  readonly targetWidth: number;
  private readonly inputs: Float32Array;
  private readonly targets: Float32Array;
  private order: Uint32Array = new Uint32Array(0);
  private orderEpoch = -1;

  constructor(private readonly options: { readonly data: Dataset; readonly batchSize: number; readonly seed: number }) {
    const { data, batchSize } = options;
    const widths = datasetWidths(data, 'data');
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > data.examples) {
      throw new StepsizeError(
        'batchSize',
        `must be an integer in [1, ${data.examples}] (the number of examples), got ${String(batchSize)}`,
        batchSize,
      );
    }
    this.inputWidth = widths.input;
    this.targetWidth = widths.target;
    this.batchesPerEpoch = Math.floor(data.examples / batchSize);
    this.inputs = new Float32Array(batchSize * this.inputWidth);
    this.targets = new Float32Array(batchSize * this.targetWidth);
  }

  /** Batch number `index` (counted from the first batch of epoch 0); its buffers are reused by the next call. */
  batch(index: number): Dataset & { readonly epoch: number } {
    const { data, batchSize, seed } = this.options;
    const epoch = Math.floor(index / this.batchesPerEpoch);
    if (epoch !== this.orderEpoch) {
      this.order = seededPermutation(data.examples, seed * 1_000_003 + epoch);
      this.orderEpoch = epoch;
    }
    const first = (index % this.batchesPerEpoch) * batchSize;
    const { inputWidth: iw, targetWidth: tw } = this;
    for (let i = 0; i < batchSize; i += 1) {
      const example = this.order[first + i] as number;
      this.inputs.set(data.inputs.subarray(example * iw, (example + 1) * iw), i * iw);
      this.targets.set(data.targets.subarray(example * tw, (example + 1) * tw), i * tw);
    }
    return { inputs: this.inputs, targets: this.targets, examples: batchSize, epoch };
  }
}
