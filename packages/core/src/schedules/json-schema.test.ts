import { readFileSync, readdirSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { scheduleJSONSchema } from './json-schema.js';
import { scheduleFromJSON, scheduleTypes } from './spec.js';

const committed = JSON.parse(readFileSync(new URL('../../schema/schedule.schema.json', import.meta.url), 'utf8'));
const examples = new URL('../../examples/', import.meta.url);

describe('the published JSON Schema', () => {
  it('is the committed schema/schedule.schema.json (run `pnpm --filter @stepsize/core schema` after a change)', () => {
    expect(committed).toEqual(scheduleJSONSchema());
  });

  it('has one variant per JSON-capable type', () => {
    const titles = (committed.oneOf as { title: string }[]).map((v) => v.title);
    expect(titles).toEqual([...scheduleTypes]);
  });

  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(committed);

  it('accepts every example spec and the specs our schedules write', () => {
    for (const file of readdirSync(examples).filter((f) => f.endsWith('.json'))) {
      const spec = JSON.parse(readFileSync(new URL(file, examples), 'utf8'));
      expect(validate(spec), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
      const schedule = scheduleFromJSON(spec);
      expect(validate(schedule.toJSON()), JSON.stringify(validate.errors)).toBe(true);
    }
    const plateau = scheduleFromJSON({
      type: 'product',
      schedules: [
        { type: 'cosineRestarts', initialValue: 0.1, firstPeriod: 10 },
        { type: 'reduceOnPlateau', initialValue: 1, patience: 0 },
      ],
    });
    plateau.observe({ step: 0, metric: 1 });
    plateau.observe({ step: 1, metric: 2 });
    expect(validate(plateau.toJSON()), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects what the parser rejects for simple option errors', () => {
    const bad = [
      { type: 'cosine' },
      { type: 'constant' },
      { type: 'constant', value: -1 },
      { type: 'stepDecay', initialValue: 1, stepSize: 2.5 },
      { type: 'constant', value: 1, extra: true },
      { type: 'cyclic', baseValue: 0, maxValue: 1, mode: 'sawtooth' },
    ];
    for (const spec of bad) {
      expect(validate(spec), JSON.stringify(spec)).toBe(false);
      expect(() => scheduleFromJSON(spec)).toThrow();
    }
  });
});
