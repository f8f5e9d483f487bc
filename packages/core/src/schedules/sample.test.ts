import { describe, expect, it } from 'vitest';
import { cosineAnnealing } from './cosine.js';
import { sample } from './sample.js';

describe('sample', () => {
  it('evaluates steps start, start + every, ... (named steps, as the CLI calls them)', () => {
    const schedule = cosineAnnealing({ initialValue: 1, steps: 10 });
    expect(Array.from(sample(schedule, { steps: 3, start: 2, every: 4 }))).toEqual([schedule(2), schedule(6), schedule(10)]);
    expect(() => sample(schedule, { steps: 0 })).toThrow(/^sample options\.steps must be an integer in \[1, 2147483647\]/);
  });
});
