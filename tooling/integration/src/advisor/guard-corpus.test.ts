import type { TrainResult } from '@stepsize/core';
import { lossGuard } from '@stepsize/core/advisor';
import { describe, expect, it } from 'vitest';
import { STACKS } from '../stacks.js';
import { CORPUS, trainRun } from './corpus.js';

// Every test here trains: generous timeouts, so that none depends on the machine's speed.
const TRAINS = { timeout: 900_000 };
const finalValidation = (result: TrainResult): number => result.evaluations.at(-1)?.loss as number;

describe('the default guard on the engine corpus (each run trained with and without it)', () => {
  it(
    'leaves healthy, slow and plateau runs alone, rolls each corrupted batch back once, and ends every diverging run lower',
    TRAINS,
    async () => {
      const rows: string[] = [];
      for (const run of CORPUS) {
        const plain = await trainRun(run, STACKS.engine as never);
        const guarded = await trainRun(run, STACKS.engine as never, undefined, lossGuard());
        const actions = guarded.guardActions.map((a) => `${a.action}/${a.reason}@${a.step}`).join(' ') || '-';
        rows.push(
          `${run.name.padEnd(34)} ${run.kind.padEnd(12)} val ${finalValidation(plain).toFixed(4)} -> ${finalValidation(guarded).toFixed(4)} ${actions}`,
        );
        // A run that trains well gives the guard nothing to do (no false alarm).
        if (run.kind === 'healthy' || run.kind === 'slow' || run.name === 'iris constant for 3,000 steps')
          expect(guarded.guardActions, run.name).toEqual([]);
        // A diverging run ends better guarded (rolled back with the rate cut, or stopped at the last good snapshot).
        if (run.kind === 'diverging') expect(finalValidation(guarded), run.name).toBeLessThan(finalValidation(plain));
        // A corrupted batch is rolled back once, and the run ends at least as well.
        if (run.kind === 'spike') {
          expect(
            guarded.guardActions.map((a) => a.action),
            run.name,
          ).toEqual(['rollback']);
          expect(finalValidation(guarded), run.name).toBeLessThanOrEqual(finalValidation(plain) * 1.05);
        }
        if (run.kind === 'oscillating') expect(guarded.guardActions.length, run.name).toBeGreaterThan(0);
      }
      console.log(`guard on the engine corpus (final validation loss unguarded -> guarded, actions):\n${rows.join('\n')}`);
    },
  );
});
