import type { OptionSpec } from '../../schedules/options.js';
import type { OptimizerMath } from '../definition.js';
import type { OptimizerDefinition } from '../optimizer.js';

export const learningRate = (fallback?: number): OptionSpec => ({
  kind: 'hyperparameter',
  min: 0,
  ...(fallback === undefined ? {} : { default: fallback }),
  description: 'learning rate',
});
export const beta = (fallback: number, what: string): OptionSpec => ({
  kind: 'hyperparameter',
  min: 0,
  max: 1,
  exclusiveMax: true,
  default: fallback,
  description: what,
});
export const epsilon = (fallback: number): OptionSpec => ({
  kind: 'number',
  min: 0,
  default: fallback,
  description: 'added to the denominator for stability',
});
export const weightDecay = (fallback: number): OptionSpec => ({
  kind: 'hyperparameter',
  min: 0,
  default: fallback,
  description: 'weight decay',
});
export const flag = (description: string): OptionSpec => ({ kind: 'boolean', default: false, description });

export function define<H>(
  type: string,
  summary: string,
  options: Record<string, OptionSpec>,
  math: OptimizerMath<H>,
  hyper: (values: Record<string, unknown>, options: Record<string, unknown>) => H,
  check?: (options: Record<string, unknown>, path: string) => void,
): OptimizerDefinition<H> {
  return { type, summary, options, math, hyper, ...(check && { check }) };
}

export const numberValue = (values: Record<string, unknown>, key: string): number => values[key] as number;
export const booleanValue = (values: Record<string, unknown>, key: string): boolean => values[key] as boolean;
