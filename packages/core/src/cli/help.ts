import { readFileSync } from 'node:fs';
import { DEFAULT_CHART_HEIGHT, DEFAULT_CHART_WIDTH, MAX_SIGNIFICANT_DIGITS, MAX_STEPS, TABLE_EDGE_ROWS, TABLE_MAX_ROWS } from './args.js';

/** The text `stepsize --help` prints. */
export const HELP_TEXT = `stepsize - sample learning-rate schedules from JSON specs, and read loss curves

Usage:
  stepsize sample <spec.json|-> --steps N [options]
  stepsize diagnose <history.csv|history.json|-> [options]
  stepsize help | --help | -h
  stepsize --version

Commands:
  sample    Build the schedule a JSON spec describes (a file, or - for stdin)
            and print its value at N steps: start, start + every, ...

  diagnose  Read a training history (CSV with the columns step, loss, valLoss,
            learningRate, gradientNorm; or JSON: train()'s result, a tfjs History,
            rows) and print what the loss curve means and what to change; write an
            HTML report with the curves and the flagged steps marked.

Options of sample:
  --steps N      how many steps to sample (required, integer from 1 to ${MAX_STEPS})
  --start S      first step (default 0)
  --every K      distance between sampled steps (default 1)
  --format F     table (default), json or csv
  --significant D
                 print values rounded to D significant digits (1 to ${MAX_SIGNIFICANT_DIGITS}), for
                 display only: the printed numbers are then not the exact values
  --no-chart     table: leave out the chart
  --width W      table: chart width in character cells (default ${DEFAULT_CHART_WIDTH})
  --height H     table: chart height in character cells (default ${DEFAULT_CHART_HEIGHT})
  --ascii        table: draw the chart with plain ASCII characters
  --all          table: print every row (by default, above ${TABLE_MAX_ROWS} rows only the
                 first and last ${TABLE_EDGE_ROWS} are printed)

Options of diagnose:
  --schedule S   the schedule spec the run was trained with (a JSON file): the
                 recommendations then include the changed spec
  --format F     text (default) or json
  --report R     where the HTML report goes (default: the history's path with
                 .diagnosis.html for its extension; none for stdin)
  --no-report    write no report
  --no-chart, --width W, --height H, --ascii
                 the terminal chart of the loss, as for sample

Formats:
  table  a header, a chart of the curve, then a step/value table
  json   {"type": ..., "spec": ..., "steps": [...], "values": [...]}
  csv    a step,value header, then one row per step
  Every format prints each value exactly, as the shortest decimal that reads
  back to the same double: 0.0007 * 0.1 is 0.00007000000000000001 in floating
  point, and is printed so (--significant 6 prints 0.00007). The output is
  written as it is formatted; at most ${MAX_STEPS} steps are printed.

Examples:
  stepsize sample lr.json --steps 1000
  echo '{"type":"cosineAnnealing","initialValue":0.1,"steps":100}' | stepsize sample - --steps 101 --format csv
  stepsize diagnose history.csv --schedule lr.json

Exit status: 0 success, 1 unreadable or invalid spec or history, or output that cannot be
written (e.g. a full disk), 2 bad arguments (every bad argument is reported).
When the reader of a pipe goes away (stepsize ... | head), stepsize stops
quietly with status 0.
`;

/**
 * The version of the installed package, read from its package.json (two
 * levels above this module, both in src/cli and in dist/cli).
 */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const version: unknown = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}
