import { readFileSync } from 'node:fs';
import { DEFAULT_CHART_HEIGHT, DEFAULT_CHART_WIDTH, MAX_SIGNIFICANT_DIGITS, MAX_STEPS, TABLE_EDGE_ROWS, TABLE_MAX_ROWS } from './args.js';

/** The text `stepsize --help` prints. */
export const HELP_TEXT = `stepsize - sample learning-rate schedules from JSON specs, find a learning rate, and read loss curves

Usage:
  stepsize sample <spec.json|-> --steps N [options]
  stepsize diagnose <history.csv|history.json|-> [options]
  stepsize lr-find (--dataset iris|mnist | --model training.onnx --params FILE --data FILE) [options]
  stepsize help | --help | -h
  stepsize --version

Commands:
  sample    Build the schedule a JSON spec describes (a file, or - for stdin)
            and print its value at N steps: start, start + every, ...

  diagnose  Read a training history (CSV with the columns step, loss, valLoss,
            learningRate, gradientNorm; or JSON: train()'s result, a tfjs History,
            rows) and print what the loss curve means and what to change; write an
            HTML report with the curves and the flagged steps marked.

  lr-find   The learning-rate range test (findLearningRate: fastai's lr_find,
            torch-lr-finder) on the embedded iris MLP, or on your ONNX training
            model with a data file; prints the curve and fastai's suggestions, and
            draws the plot as SVG or PNG (--plot, with @stepsize/plot installed).

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

Options of lr-find (the adapters are imported from the project it runs in):
  --dataset D          the demo's iris (120 flowers, embedded; MLP 4-16-3, batch 12)
                       or mnist (1,000 digits from the mnist package; 784-32-10,
                       batch 32), both tanh
  --backend B          engine (default), tfjs or onnxruntime (@stepsize/<B>)
  --model M --params P --data D
                       an ONNX training model (loss, <param>_grad outputs) on
                       ONNX Runtime, its initial parameters (JSON { name: { values,
                       shape } }, or a stepsize checkpoint), and its examples: JSON {"inputs": [[...]],
                       "targets": [...]} or CSV with a header (the target column
                       last, or --target NAME; class indices become one-hot rows
                       when the model's target is wider)
  --optimizer O        the optimizer spec, JSON text or a file (default
                       {"type":"adamW"}); the sweep replaces its learningRate
  --batch-size N (the dataset's, else 16), --steps N (100), --min X (1e-7), --max X (10),
  --mode exponential|linear, --smoothing B (0.98), --divergence X (5), --seed S (0)
  --plot FILE          write the plot, .svg or .png (needs @stepsize/plot)
  --format F           text (default) or json
  --no-chart, --width W, --height H, --ascii
                       the terminal chart, as for sample

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
  stepsize lr-find --dataset iris --plot lr-find.png
  stepsize lr-find --model training.onnx --params initial.json --data examples.csv

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
