import type { BackendRun } from './backend-run.js';

/** One row of the demo's table. */
export interface Row {
  readonly run: BackendRun;
  /** Largest relative loss difference from the engine's trajectory (0 for the engine itself). */
  readonly difference: number;
}

/** The demo's table, as printed. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['backend', 'final loss', 'accuracy', 'steps/s', 'wall time', 'max diff vs engine'];
  const body = rows.map(({ run, difference }) => [
    run.backend,
    (run.losses.at(-1) ?? Number.NaN).toFixed(4),
    `${(run.accuracy * 100).toFixed(1)}%`,
    run.stepsPerSecond.toFixed(0),
    `${(run.wallMs / 1000).toFixed(2)} s`,
    run.backend === 'engine' ? '(reference)' : difference.toExponential(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
