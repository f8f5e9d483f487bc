import { diagnose, type FindingKind } from '@stepsize/core/advisor';
import { describe, expect, it } from 'vitest';
import { STACKS } from '../stacks.js';
import { CORPUS, type CorpusRun, trainRun } from './corpus.js';

const KINDS: readonly FindingKind[] = ['diverging', 'oscillating', 'slow', 'plateau', 'overfitting', 'spike', 'healthy'];
/** What each run was diagnosed as (its first finding), by stack and run name. */
const diagnosed = new Map<string, FindingKind>();

/** The confusion table: made as (rows) against diagnosed as (columns). */
function confusionTable(stack: string): string {
  const width = 12;
  const lines = [`${stack}: made as \\ diagnosed as`.padEnd(width * 2), ...KINDS.map((kind) => kind.padStart(width))];
  const rows = KINDS.filter((kind) => CORPUS.some((run) => run.kind === kind)).map((made) => {
    const counts = KINDS.map((kind) => CORPUS.filter((run) => run.kind === made && diagnosed.get(`${stack}/${run.name}`) === kind).length);
    return [made.padEnd(width * 2), ...counts.map((count) => String(count).padStart(width))].join('');
  });
  return [lines.join(''), ...rows].join('\n');
}

/** tfjs trains the corpus's iris runs of each kind (its cpu backend is slower; the engine trains them all). */
const TFJS_RUNS = CORPUS.filter((run) => run.dataset.startsWith('iris') && !run.name.includes('momentum'));

describe.each([
  ['engine', CORPUS],
  ['tfjs', TFJS_RUNS],
] as const)('the advisor on real training runs (%s)', (stack, runs) => {
  const makeBackend = STACKS[stack] as (typeof STACKS)[string];

  it.each(runs.map((run) => [run.name, run] as [string, CorpusRun]))(
    '%s is diagnosed as the kind it was made to be',
    async (_, run) => {
      const result = await trainRun(run, makeBackend);
      const { findings } = diagnose(result);
      diagnosed.set(`${stack}/${run.name}`, findings[0]?.kind as FindingKind);
      expect({ run: run.name, kind: findings[0]?.kind, summary: findings[0]?.summary }).toMatchObject({ run: run.name, kind: run.kind });
    },
    600_000,
  );

  it('prints the confusion table', () => {
    console.log(confusionTable(stack));
  });

  // tfjs re-runs one run of each kind (its cpu backend is slower); the engine re-runs them all.
  const bad = runs.filter((run) => ['slow', 'oscillating', 'diverging'].includes(run.kind));
  const rerun = stack === 'engine' ? bad : bad.filter((run, i) => bad.findIndex((other) => other.kind === run.kind) === i);
  it.each(rerun.map((run) => [run.name, run] as [string, CorpusRun]))(
    're-running %s with the recommended schedule reaches a lower final validation loss',
    async (_, run) => {
      const before = await trainRun(run, makeBackend);
      const [finding] = diagnose(before).findings;
      const schedule = finding?.recommendation.schedule;
      expect(schedule, 'a constant rate is recorded, so the changed spec is known').toBeDefined();
      const after = await trainRun(run, makeBackend, schedule);
      const last = (result: typeof before): number => result.evaluations[result.evaluations.length - 1]?.loss ?? Number.NaN;
      console.log(
        `${stack} ${run.name}: ${finding?.recommendation.text} Validation loss ${last(before).toPrecision(3)} -> ${last(after).toPrecision(3)}.`,
      );
      expect(last(after)).toBeLessThan(last(before));
    },
    600_000,
  );
});
