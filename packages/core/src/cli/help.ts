import { readFileSync } from 'node:fs';
import { DEFAULT_CHART_HEIGHT, DEFAULT_CHART_WIDTH, TABLE_EDGE_ROWS, TABLE_MAX_ROWS } from './args.js';

/** The text `stepsize --help` prints. */
export const HELP_TEXT = `stepsize - sample learning-rate schedules from JSON specs

Usage:
  stepsize sample <spec.json|-> --steps N [options]
  stepsize help | --help | -h
  stepsize --version

Commands:
  sample    Build the schedule a JSON spec describes (a file, or - for stdin)
            and print its value at N steps: start, start + every, ...

Options of sample:
  --steps N      how many steps to sample (required, integer >= 1)
  --start S      first step (default 0)
  --every K      distance between sampled steps (default 1)
  --format F     table (default), json or csv
  --no-chart     table: leave out the chart
  --width W      table: chart width in character cells (default ${DEFAULT_CHART_WIDTH})
  --height H     table: chart height in character cells (default ${DEFAULT_CHART_HEIGHT})
  --ascii        table: draw the chart with plain ASCII characters
  --all          table: print every row (by default, above ${TABLE_MAX_ROWS} rows only the
                 first and last ${TABLE_EDGE_ROWS} are printed)

Formats:
  table  a header, a chart of the curve, then a step/value table
  json   {"type": ..., "spec": ..., "steps": [...], "values": [...]}
  csv    a step,value header, then one row per step
  Values are printed with full precision in every format.

Examples:
  stepsize sample lr.json --steps 1000
  echo '{"type":"cosineAnnealing","initialValue":0.1,"steps":100}' | stepsize sample - --steps 101 --format csv

Exit status: 0 success, 1 unreadable or invalid spec, 2 bad arguments.
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
