import { fileURLToPath } from 'node:url';

export interface Truth {
  readonly loss: number;
  readonly output: number[];
  readonly gradients: Readonly<Record<string, number[]>>;
}

export interface Fixture {
  readonly model: string;
  readonly loss: 'mse' | 'softmaxCrossEntropy' | 'binaryCrossEntropy';
  readonly trainable: readonly string[];
  readonly batch: {
    readonly input: { readonly shape: number[]; readonly values: number[] };
    readonly target: { readonly shape: number[]; readonly values: number[] };
  };
  readonly expected: Truth;
  readonly expectedFloat64: Truth;
}

export const directory = fileURLToPath(new URL('../../../fixtures/inference-models/', import.meta.url));
export const MODELS = ['mlp', 'cnn', 'transformer', 'batchnorm', 'reshape', 'activations'] as const;

/** The largest error relative to the larger of the value and a hundredth of the tensor's scale (as the conformance suite). */
export function worstRelativeError(actual: ArrayLike<number>, expected: readonly number[]): number {
  const scale = Math.max(...expected.map(Math.abs));
  let worst = 0;
  expected.forEach((value, i) => {
    const error = Math.abs((actual[i] as number) - value) / Math.max(Math.abs(value), scale / 100, 1e-30);
    worst = Math.max(worst, error);
  });
  return worst;
}

/** The loss, output and gradients of a truth as flat arrays, by output name. */
export function truthValues(truth: Truth, key: string): readonly number[] {
  if (key === 'loss') return [truth.loss];
  if (key === 'output') return truth.output;
  return truth.gradients[key.replace(/_grad$/, '')] ?? [];
}

/**
 * Worst errors per output. A gradient that is zero in exact arithmetic (the attention key's
 * bias: softmax ignores a shift of its scores) holds only rounding noise: it is measured
 * against the model's gradient scale instead of its own.
 */
export function errorsAgainst(truth: Truth, actual: (key: string) => ArrayLike<number>, exact: Truth): Record<string, number> {
  const modelScale = Math.max(...Object.values(exact.gradients).flatMap((g) => g.map(Math.abs)));
  const errors: Record<string, number> = {
    loss: worstRelativeError(actual('loss'), [truth.loss]),
    output: worstRelativeError(actual('output'), truth.output),
  };
  for (const [key, expected] of Object.entries(truth.gradients)) {
    const values = actual(`${key}_grad`);
    const own = Math.max(...(exact.gradients[key] ?? []).map(Math.abs));
    errors[key] =
      own < modelScale * 1e-6
        ? Math.max(...expected.map((v, i) => Math.abs((values[i] as number) - v))) / modelScale
        : worstRelativeError(values, expected);
  }
  return errors;
}
