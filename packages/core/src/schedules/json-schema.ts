import { scheduleDefinitions } from './catalogue.js';
import { MAX_OPTION_MAGNITUDE, type OptionSpec } from './options.js';

type JSONSchema = Record<string, unknown>;

/** The descriptor's range; where it sets no bound, the parser's own (safe integers, MAX_OPTION_MAGNITUDE). */
function numberBounds(spec: { integer?: true; min?: number; exclusiveMin?: true; max?: number; exclusiveMax?: true }): JSONSchema {
  const limit = spec.integer ? Number.MAX_SAFE_INTEGER : MAX_OPTION_MAGNITUDE;
  const out: JSONSchema = {};
  if (spec.min !== undefined) out[spec.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = spec.min;
  else out.minimum = -limit;
  if (spec.max !== undefined) out[spec.exclusiveMax ? 'exclusiveMaximum' : 'maximum'] = spec.max;
  else out.maximum = limit;
  return out;
}

function optionSchema(spec: OptionSpec): JSONSchema {
  const base: JSONSchema = { description: spec.description };
  switch (spec.kind) {
    case 'number':
      return {
        ...base,
        type: spec.integer ? 'integer' : 'number',
        ...numberBounds(spec),
        ...(spec.default !== undefined && { default: spec.default }),
      };
    case 'numberList':
      return {
        ...base,
        type: 'array',
        items: { type: spec.integer ? 'integer' : 'number', ...numberBounds(spec) },
        ...(spec.minLength !== undefined && { minItems: spec.minLength }),
        ...(spec.default !== undefined && { default: spec.default }),
      };
    case 'stepRecord':
      return {
        ...base,
        type: 'object',
        propertyNames: { type: 'string', pattern: '^(0|[1-9][0-9]*)$' },
        additionalProperties: { type: 'number', ...numberBounds(spec) },
        ...(spec.default !== undefined && { default: spec.default }),
      };
    case 'boolean':
      return { ...base, type: 'boolean', ...(spec.default !== undefined && { default: spec.default }) };
    case 'enum':
      return { ...base, enum: [...spec.values], ...(spec.default !== undefined && { default: spec.default }) };
    case 'schedule':
      return { ...base, $ref: '#' };
    case 'scheduleList':
      return { ...base, type: 'array', items: { $ref: '#' }, minItems: spec.minLength };
    case 'hyperparameter':
      return {
        ...base,
        oneOf: [{ type: 'number', ...numberBounds(spec) }, { $ref: '#' }],
        ...(spec.default !== undefined && { default: spec.default }),
      };
    case 'stringList':
      return { ...base, type: 'array', items: { type: 'string', minLength: 1 } };
    case 'function':
      throw new Error('function options have no JSON form');
  }
}

/**
 * The JSON Schema (draft 2020-12) of schedule spec files, generated from the
 * same option descriptors the parser validates with, so editors can check and
 * complete specs. Published as `@stepsize/core/schema.json`; reference it with
 * `"$schema"` in a spec file or in your editor's JSON settings. The parser is
 * stricter than the schema in a few cross-option rules (list lengths, phase
 * lengths), which it reports with a path.
 *
 * @example
 * ```ts
 * writeFileSync('schedule.schema.json', JSON.stringify(scheduleJSONSchema(), null, 2));
 * ```
 */
export function scheduleJSONSchema(): JSONSchema {
  const variants = scheduleDefinitions
    .filter((d) => !d.codeOnly)
    .map((d) => {
      const properties: JSONSchema = { type: { const: d.type } };
      const required = ['type'];
      for (const [key, spec] of Object.entries(d.options)) {
        properties[key] = optionSchema(spec);
        const hasDefault = 'default' in spec && spec.default !== undefined;
        if (!hasDefault && !spec.optional) required.push(key);
      }
      if (d.state) properties.state = { ...d.state.schema, description: 'metric-driven state (omit for a fresh start)' };
      return {
        title: d.type,
        description: d.summary,
        type: 'object',
        properties: { $schema: { type: 'string' }, ...properties },
        required,
        additionalProperties: false,
      };
    });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://stepsize.dev/schema/schedule.schema.json',
    title: 'stepsize schedule spec',
    description: 'A learning-rate (or hyperparameter) schedule for stepsize: { "type": ..., ...options }.',
    oneOf: variants,
  };
}
