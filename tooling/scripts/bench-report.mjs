// The targets table of `npm run bench`: every target that the package benches measured (their
// JSON files' `targets`), one value and `met` column per runtime, side by side; writes
// report.json beside the runtimes' folders.
//
//   node tooling/scripts/bench-report.mjs <results folder> <label>=<subfolder> [<label>=<subfolder> ...]
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A bench's target row with `met`: whether `value` is `comparison` (`>=` or `<=`) `target`, or
 * undefined when the bench could not measure it. Every package bench builds its rows with it.
 */
export function targetRow(row) {
  const met = row.value === undefined ? undefined : row.comparison === '>=' ? row.value >= row.target : row.value <= row.target;
  return { ...row, met };
}

/** The targets of every results file in `directory`, in file order, each with its file's name. */
export function readTargets(directory) {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const data = JSON.parse(readFileSync(join(directory, file), 'utf8'));
      return (data.targets ?? []).map((target) => ({ ...target, source: file }));
    });
}

/** A value as the table prints it: ratios as `1.23x`, shares as `12.3%`, bytes as `8.0 B`. */
export function formatValue(unit, value) {
  if (value === undefined || value === null) return '-';
  if (unit === 'x') return `${value.toFixed(2)}x`;
  if (unit === 'B') return `${value.toFixed(1)} B`;
  return `${(100 * value).toFixed(1)}%`;
}

function formatTarget(row) {
  return `${row.comparison} ${row.unit === '%' ? `${(100 * row.target).toFixed(0)}%` : row.unit === 'x' ? `${row.target}x` : `${row.target} B`}`;
}

/** The side-by-side table (lines) and the merged rows for `runs` = [{ label, targets }]. */
export function report(runs) {
  const ids = [];
  for (const run of runs) for (const target of run.targets) if (!ids.includes(target.id)) ids.push(target.id);
  const rows = ids.map((id) => {
    const first = runs.flatMap((run) => run.targets).find((target) => target.id === id);
    return {
      id,
      measure: first.measure,
      comparison: first.comparison,
      target: first.target,
      unit: first.unit,
      runs: Object.fromEntries(
        runs.map((run) => {
          const own = run.targets.find((target) => target.id === id);
          return [run.label, own ? { value: own.value ?? null, met: own.met ?? null, note: own.note } : null];
        }),
      ),
    };
  });
  const width = Math.max(20, ...rows.map((row) => row.measure.length));
  const cell = (entry, unit) =>
    `${formatValue(unit, entry?.value ?? undefined).padStart(8)} ${(entry === null || entry.met === null ? 'n/a' : entry.met ? 'yes' : 'NO').padEnd(3)}`;
  const lines = [
    `${'target'.padEnd(width)} ${'aim'.padStart(8)}  ${runs.map((run) => run.label.padEnd(12)).join('  ')}`,
    ...rows.map(
      (row) =>
        `${row.measure.padEnd(width)} ${formatTarget(row).padStart(8)}  ${runs.map((run) => cell(row.runs[run.label], row.unit)).join('  ')}`,
    ),
  ];
  const notes = rows.flatMap((row) =>
    runs
      .map((run) => ({ label: run.label, note: row.runs[run.label]?.note }))
      .filter((entry) => entry.note)
      .map((entry) => `  ${row.id} (${entry.label}): ${entry.note}`),
  );
  if (notes.length > 0) lines.push('notes:', ...notes);
  return { lines, rows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [folder, ...pairs] = process.argv.slice(2);
  if (!folder || pairs.length === 0) {
    console.error('usage: bench-report.mjs <results folder> <label>=<subfolder> ...');
    process.exit(2);
  }
  const runs = pairs.map((pair) => {
    const [label, sub] = pair.split('=');
    return { label, targets: readTargets(join(folder, sub)) };
  });
  const { lines, rows } = report(runs);
  console.log('');
  console.log('stepsize bench targets (each value a ratio measured in one run on that runtime):');
  for (const line of lines) console.log(line);
  const met = (label) => rows.filter((row) => row.runs[label]?.met === true).length;
  console.log(runs.map((run) => `${run.label}: ${met(run.label)} of ${rows.length} targets met`).join('; '));
  writeFileSync(join(folder, 'report.json'), `${JSON.stringify({ runtimes: runs.map((run) => run.label), rows }, null, 2)}\n`);
  console.log(`report: ${join(folder, 'report.json')}`);
}
