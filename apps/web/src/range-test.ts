import { adamW, type Dataset, type FindLearningRateResult, findLearningRate, rangeTestLossRange } from '@stepsize/core';
import { engineTrainingBackend, fusedKernels } from '@stepsize/engine';
import type { Chart } from 'chart.js';
import { MLP } from './training.js';

const COLORS: Record<string, string> = { valley: '#d62728', steep: '#2ca02c', minimum: '#9467bd', slide: '#ff7f0e' };
const short = (value: number): string => String(Number(value.toPrecision(3)));

/**
 * The range test (core's `findLearningRate`: fastai's `lr_find`) on the page's model, the iris
 * MLP on the engine, with AdamW as the page trains it; draws the smoothed and raw losses
 * against the learning rate (a log axis) and a line at each of fastai's suggestions.
 */
export async function runRangeTest(data: Dataset, chart: Chart, summary: HTMLElement): Promise<FindLearningRateResult> {
  const backend = await engineTrainingBackend({ mlp: MLP, kernels: fusedKernels });
  let result: FindLearningRateResult;
  try {
    result = await findLearningRate({ backend, data, batchSize: 15, optimizer: adamW({ weightDecay: 0.01 }), steps: 100 });
  } finally {
    await backend.dispose?.();
  }
  const points = (values: readonly number[]) =>
    result.learningRates.map((x, i) => ({ x, y: values[i] as number })).filter((p) => Number.isFinite(p.y));
  const smoothed = points(result.smoothedLosses);
  const { lowest, top } = rangeTestLossRange(result.smoothedLosses) ?? { lowest: 0, top: 1 };
  const found = (['valley', 'steep', 'minimum', 'slide'] as const).flatMap((name) => {
    const suggestion = result.suggestions[name];
    return suggestion ? [{ name, learningRate: suggestion.learningRate }] : [];
  });
  chart.data.labels = [];
  chart.data.datasets = [
    { label: 'raw loss', data: points(result.losses), borderColor: 'rgba(120, 120, 120, 0.5)', borderWidth: 1 },
    { label: 'smoothed loss', data: smoothed, borderColor: '#1f77b4', borderWidth: 2 },
    ...found.map(({ name, learningRate }) => ({
      label: `${name} ${short(learningRate)}`,
      data: [
        { x: learningRate, y: lowest },
        { x: learningRate, y: top },
      ],
      borderColor: COLORS[name],
      borderDash: [4, 3],
      borderWidth: 1.5,
    })),
  ];
  const scales = chart.options.scales as Record<string, { min?: number; max?: number }>;
  (scales.y as { min?: number; max?: number }).min = lowest - 0.05 * (top - lowest);
  (scales.y as { min?: number; max?: number }).max = top + 0.05 * (top - lowest);
  chart.update();
  summary.textContent = `${result.losses.length} updates, ${result.stopReason}; ${found.map(({ name, learningRate }) => `${name} ${short(learningRate)}`).join(', ') || 'no suggestion (the curve is too short)'}`;
  return result;
}
