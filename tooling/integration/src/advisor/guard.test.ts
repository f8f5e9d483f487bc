import { diagnose, lossGuard } from '@stepsize/core/advisor';
import { describe, expect, it } from 'vitest';
import { STACKS } from '../stacks.js';
import { CORPUS, trainRun } from './corpus.js';

// Every test here trains: generous timeouts, so that none depends on the machine's speed.
const TRAINS = { timeout: 600_000 };

const run = CORPUS.find((r) => r.name === 'iris corrupted batch');
if (run === undefined) throw new Error('the corpus lost its iris corrupted-batch run');

describe('the guard recovers a run with an injected spike on every backend (iris, batch 300 with every label wrong)', () => {
  for (const [stack, makeBackend] of Object.entries(STACKS)) {
    it(stack, TRAINS, async () => {
      const unguarded = await trainRun(run, makeBackend);
      const guarded = await trainRun(run, makeBackend, undefined, lossGuard());
      // Unguarded, the advisor reads the spike in the history; guarded, the spike was rolled back.
      expect(diagnose(unguarded.history).findings.map((f) => f.kind)).toContain('spike');
      expect(guarded.guardActions.map((a) => [a.action, a.reason])).toEqual([['rollback', 'spike']]);
      const [action] = guarded.guardActions;
      expect(action?.step).toBe(301); // updates done: update 300 (on the bad batch) was the last
      expect(action?.toStep).toBe(300);
      expect(diagnose(guarded.history).findings.map((f) => f.kind)).not.toContain('spike');
      expect(guarded.history.map((r) => r.step)).toEqual(Array.from({ length: run.steps }, (_, i) => i));
      // It ends at least as well as the run that took the bad update.
      const final = (result: typeof guarded) => result.evaluations.at(-1)?.loss as number;
      expect(final(guarded)).toBeLessThanOrEqual(final(unguarded) * 1.05);
    });
  }
});
