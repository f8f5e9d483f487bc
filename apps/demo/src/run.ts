import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BackendRun, trainOn } from './backend-run.js';
import type { BackendName } from './backend-names.js';
import { AGREEMENT_TOLERANCE, largestDifference } from './compare.js';
import { createProgress, type Progress } from './progress.js';
import { renderReport } from './report/html.js';
import { scheduleOf, type DemoSetup } from './setup.js';
import { formatTable, type Row } from './table.js';

/** What a demo run produced. */
export interface DemoResult {
  readonly rows: Row[];
  readonly agree: boolean;
  readonly reportPath: string;
  readonly table: string;
}

/**
 * Trains the setup on every chosen backend, compares each loss trajectory with
 * the engine's, prints the table and writes the HTML report.
 */
export async function runDemo(args: {
  setup: DemoSetup;
  backends: readonly BackendName[];
  out: string;
  log: (line: string) => void;
  progress?: Progress;
}): Promise<DemoResult> {
  const { setup, log } = args;
  const names: BackendName[] = ['engine', ...args.backends.filter((b) => b !== 'engine')];
  const progress = args.progress ?? createProgress();
  const runs: BackendRun[] = [];
  try {
    for (const name of names) {
      runs.push(await trainOn(name, setup, { progress: progress.track(name, setup.steps) }));
    }
  } finally {
    progress.stop();
  }
  const reference = runs[0] as BackendRun;
  const rows: Row[] = runs
    .filter((run) => (run.backend === 'engine' ? args.backends.includes('engine') : true))
    .map((run) => ({ run, difference: largestDifference(run.losses, reference.losses).value }));
  const agree = rows.every((row) => row.difference <= AGREEMENT_TOLERANCE);
  const table = formatTable(rows);
  log('');
  log(
    `${setup.dataset.description}; MLP ${setup.dataset.inputSize}-${setup.mlp.layers.join('-')} (tanh), batch ${setup.batchSize}, ${setup.steps} steps, seed ${setup.seed}`,
  );
  log(table);
  log(
    agree
      ? `All backends agree with the engine within ${AGREEMENT_TOLERANCE.toExponential(0)} (largest relative loss difference over the run).`
      : `DISAGREEMENT: a backend's loss trajectory differs from the engine's by more than ${AGREEMENT_TOLERANCE.toExponential(0)}.`,
  );
  const schedule = scheduleOf(setup);
  const directory = resolve(args.out);
  mkdirSync(directory, { recursive: true });
  const reportPath = join(directory, 'report.html');
  writeFileSync(
    reportPath,
    renderReport({
      title: 'stepsize: one schedule on every backend',
      dataset: setup.dataset.description,
      rows,
      tolerance: AGREEMENT_TOLERANCE,
      scheduleSpec: setup.scheduleSpec,
      optimizerSpec: setup.optimizerSpec,
      learningRates: Array.from({ length: setup.steps }, (_, step) => schedule(step)),
    }),
  );
  log(`Report: ${reportPath}`);
  return { rows, agree, reportPath, table };
}
