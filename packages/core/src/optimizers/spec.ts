import { StepsizeError } from '../errors.js';
import { FORBIDDEN_KEYS, fail, isPlainObject } from '../schedules/options.js';
import { readScheduleSpec } from '../schedules/spec.js';
import { optimizerDefinitions } from './builtin/index.js';
import { buildOptimizer, type Optimizer, type OptimizerSpec } from './optimizer.js';

const byType = new Map(optimizerDefinitions.map((d) => [d.type, d]));

/** Every optimizer type with a JSON form. */
export const optimizerTypes: readonly string[] = optimizerDefinitions.map((d) => d.type);

/**
 * Builds an optimizer from its JSON spec (an object or a JSON string). Every
 * hyperparameter may be a number or a schedule spec; errors are
 * {@link StepsizeError}s with the JSON path (`$.learningRate.steps`).
 *
 * @example
 * ```ts
 * const optimizer = optimizerFromJSON({
 *   type: 'adamW', weightDecay: 0.05,
 *   learningRate: { type: 'cosineAnnealing', initialValue: 1e-3, steps: 1000 },
 *   groups: [{ params: ['*.bias'], weightDecay: 0 }],
 * });
 * ```
 */
export function optimizerFromJSON(spec: OptimizerSpec | string | unknown): Optimizer {
  let value: unknown = spec;
  if (typeof spec === 'string') {
    try {
      value = JSON.parse(spec);
    } catch (error) {
      throw new StepsizeError('$', `is not valid JSON (${(error as Error).message})`, spec, { cause: error });
    }
  }
  if (!isPlainObject(value)) fail('$', 'must be an optimizer spec object { "type": ..., ...options }', value);
  const type = value.type;
  if (typeof type !== 'string') fail('$.type', `must be a string; known types: ${optimizerTypes.join(', ')}`, type);
  const definition = FORBIDDEN_KEYS.has(type) ? undefined : byType.get(type);
  if (definition === undefined) fail('$.type', `is not a known optimizer type; known types: ${optimizerTypes.join(', ')}`, type);
  return buildOptimizer(definition, value, {
    mode: 'json',
    path: '$',
    readSchedule: (input, path) => readScheduleSpec(input, path),
  });
}
