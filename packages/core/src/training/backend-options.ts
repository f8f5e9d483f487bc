import { StepsizeError } from '../errors.js';
import type { AccuracyRule } from './metrics.js';
import type { MlpSpec } from './mlp-spec.js';

/**
 * How a model's outputs are scored: an {@link AccuracyRule} and, for `'binary'`,
 * its threshold (0 on logits, 0.5 on probabilities; default 0).
 *
 * @example
 * ```ts
 * const scoring: AccuracyScoring = { rule: 'binary', threshold: 0.5 };
 * ```
 */
export interface AccuracyScoring {
  readonly rule: AccuracyRule;
  readonly threshold?: number | undefined;
}

/**
 * What an MLP's loss says about its data, for a training backend: the default
 * scoring of its logits (`argmax` for softmax cross-entropy, `binary` at 0 for
 * binary cross-entropy, none for `mse`) and the values per example of its input
 * and target (one class index per example for softmax cross-entropy, one value
 * per output otherwise).
 *
 * @example
 * ```ts
 * mlpScoring({ inputSize: 4, layers: [16, 3], loss: 'softmaxCrossEntropy' });
 * // { accuracy: { rule: 'argmax' }, exampleWidths: { input: 4, target: 1 } }
 * ```
 */
export function mlpScoring(spec: Pick<MlpSpec, 'inputSize' | 'layers' | 'loss'>): {
  readonly accuracy: AccuracyScoring | undefined;
  readonly exampleWidths: { readonly input: number; readonly target: number };
} {
  const softmax = spec.loss === 'softmaxCrossEntropy';
  const accuracy: AccuracyScoring | undefined = softmax
    ? { rule: 'argmax' }
    : spec.loss === 'binaryCrossEntropy'
      ? { rule: 'binary', threshold: 0 }
      : undefined;
  return { accuracy, exampleWidths: { input: spec.inputSize, target: softmax ? 1 : (spec.layers.at(-1) as number) } };
}

/**
 * Checks an `accuracy` option of a training backend: `'none'`, a scoring
 * `{ rule: 'argmax' | 'binary', threshold? }` (a finite threshold) or undefined
 * (the backend's default). Errors name `where`.
 *
 * @example
 * ```ts
 * readAccuracyOption({ rule: 'argmax' }, 'options.accuracy'); // { rule: 'argmax' }
 * readAccuracyOption({ rule: 'top5' }, 'options.accuracy'); // throws, naming options.accuracy
 * ```
 */
export function readAccuracyOption(value: unknown, where: string): AccuracyScoring | 'none' | undefined {
  if (value === undefined || value === 'none') return value;
  const scoring = value as Partial<AccuracyScoring> | null;
  const valid =
    typeof scoring === 'object' &&
    scoring !== null &&
    (scoring.rule === 'argmax' || scoring.rule === 'binary') &&
    (scoring.threshold === undefined || Number.isFinite(scoring.threshold));
  if (!valid)
    throw new StepsizeError(where, `must be 'none' or { rule: 'argmax' | 'binary', threshold? }, got ${JSON.stringify(value)}`, value);
  return value as AccuracyScoring;
}

/**
 * Checks the options object of a training-backend factory and which model source
 * it gives: exactly one of `mlp` (an `MlpSpec`) and `model` (described by
 * `model`, for the error). Errors name `where`.
 *
 * @example
 * ```ts
 * readModelSource({ mlp: spec }, 'myTrainingBackend options', 'your model'); // 'mlp'
 * ```
 */
export function readModelSource(options: unknown, where: string, model: string): 'mlp' | 'model' {
  if (typeof options !== 'object' || options === null)
    throw new StepsizeError(where, `must be an options object with mlp (an MlpSpec) or model (${model})`, options);
  const { mlp, model: given } = options as { readonly mlp?: unknown; readonly model?: unknown };
  if ((mlp === undefined) === (given === undefined)) {
    const got = mlp === undefined ? 'neither' : 'both';
    throw new StepsizeError(where, `must give exactly one of mlp (an MlpSpec) and model (${model}), got ${got}`, Object.keys(options));
  }
  return mlp === undefined ? 'model' : 'mlp';
}
