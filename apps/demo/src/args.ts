import { parseArgs } from 'node:util';
import { BACKEND_NAMES, type BackendName, isBackendName } from './backend-names.js';
import { DATASETS, type DatasetName } from './data.js';

/** A command-line usage error (exit code 2). */
export class UsageError extends Error {}

export const USAGE = `stepsize-demo: one schedule on every backend (engine, tfjs, ONNX Runtime)

Usage:
  stepsize-demo [options]              train the same model on every backend and compare
  stepsize-demo lr-find [options]      learning-rate range test on one backend
  stepsize-demo plot <spec.json>       render a schedule to SVG, PNG and the terminal

Options (run):
  --schedule <spec.json>      schedule spec (default: linear warmup 30 steps, then cosine from
                              0.05 on iris, 0.005 on mnist)
  --optimizer <spec.json>     optimizer spec (default: {"type": "adamW", "weightDecay": 0.01}); its
                              learning rate is the schedule. Or a name: schedule-free (AdamW,
                              evaluated at its average, with a warmup to a constant rate) or
                              prodigy (estimates its own rate; the schedule scales it) or muon
                              (Newton-Schulz on the weight matrices, AdamW on the biases)
  --backends <list>           comma-separated: engine,tfjs,onnxruntime (default: all three)
  --steps <n>                 training steps (default 300)
  --batch-size <n>            examples per batch (default: iris 12, mnist 32)
  --dataset <name>            ${DATASETS.join(', ')} (default iris)
  --seed <n>                  weights, split and shuffles (default 0)
  --out <dir>                 where the report goes (default ./demo-output)

Options (lr-find):
  --backend <name>            engine, tfjs or onnxruntime (default engine)
  --min-rate <x> --max-rate <x>   sweep range (default 1e-5 .. 10)
  --steps <n>                 sweep steps (default 100)
  --mode <m>                  exponential (default) or linear
  --smoothing <beta>          loss smoothing, 0 <= beta < 1 (default 0.9)
  --divergence <k>            stop when the smoothed loss exceeds k x the best (default 4)
  --optimizer, --dataset, --seed, --batch-size, --out as above

Options (plot):
  --steps <n>                 steps to plot (default 1000)
  --out <dir>                 where schedule.svg and schedule.png go (default ./demo-output)
`;

/** Parsed command line. */
export type Command =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'run';
      readonly schedule?: string;
      readonly optimizer?: string;
      readonly backends: BackendName[];
      readonly steps: number;
      readonly batchSize: number | undefined;
      readonly dataset: DatasetName;
      readonly seed: number;
      readonly out: string;
    }
  | {
      readonly kind: 'lr-find';
      readonly backend: BackendName;
      readonly optimizer?: string;
      readonly minRate: number;
      readonly maxRate: number;
      readonly steps: number;
      readonly mode: 'exponential' | 'linear';
      readonly smoothing: number;
      readonly divergence: number;
      readonly batchSize: number | undefined;
      readonly dataset: DatasetName;
      readonly seed: number;
      readonly out: string;
    }
  | { readonly kind: 'plot'; readonly spec: string; readonly steps: number; readonly out: string };

function integer(value: string | undefined, flag: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function number(value: string | undefined, flag: string, fallback: number, check: (n: number) => boolean, rule: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new UsageError(`--${flag} must be ${rule}, got ${JSON.stringify(value)}`);
  return n;
}

function dataset(value: string | undefined): DatasetName {
  const name = value ?? 'iris';
  if (!(DATASETS as readonly string[]).includes(name))
    throw new UsageError(`--dataset must be one of ${DATASETS.join(', ')}, got ${JSON.stringify(name)}`);
  return name as DatasetName;
}

/** node:util's parseArgs with the demo's flags; an unknown flag or a missing value becomes a UsageError. */
function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        schedule: { type: 'string' },
        optimizer: { type: 'string' },
        backends: { type: 'string' },
        backend: { type: 'string' },
        steps: { type: 'string' },
        'batch-size': { type: 'string' },
        dataset: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        'min-rate': { type: 'string' },
        'max-rate': { type: 'string' },
        mode: { type: 'string' },
        smoothing: { type: 'string' },
        divergence: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parses the demo's command line; throws UsageError with a message naming the flag and the bad value. */
export function parseCommand(argv: readonly string[]): Command {
  const { values, positionals } = parseFlags(argv);
  if (values.help) return { kind: 'help' };
  const [subcommand, ...rest] = positionals;
  const out = values.out ?? 'demo-output';
  const seed = integer(values.seed, 'seed', 0, 0);
  // Undefined: the dataset's default (iris 12, mnist 32).
  const batchSize = values['batch-size'] === undefined ? undefined : integer(values['batch-size'], 'batch-size', 12, 1);
  if (subcommand === undefined || subcommand === 'run') {
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    const backends: BackendName[] = [];
    for (const b of (values.backends ?? BACKEND_NAMES.join(',')).split(',').map((name) => name.trim())) {
      if (!isBackendName(b)) throw new UsageError(`--backends: unknown backend ${JSON.stringify(b)}; known: ${BACKEND_NAMES.join(', ')}`);
      backends.push(b);
    }
    return {
      kind: 'run',
      ...(values.schedule !== undefined && { schedule: values.schedule }),
      ...(values.optimizer !== undefined && { optimizer: values.optimizer }),
      backends: [...new Set(backends)],
      steps: integer(values.steps, 'steps', 300, 1),
      batchSize,
      dataset: dataset(values.dataset),
      seed,
      out,
    };
  }
  if (subcommand === 'lr-find') {
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    const backend = values.backend ?? 'engine';
    if (!isBackendName(backend))
      throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}, got ${JSON.stringify(backend)}`);
    const mode = values.mode ?? 'exponential';
    if (mode !== 'exponential' && mode !== 'linear')
      throw new UsageError(`--mode must be exponential or linear, got ${JSON.stringify(mode)}`);
    const minRate = number(values['min-rate'], 'min-rate', 1e-5, (n) => n > 0, 'a number > 0');
    const maxRate = number(values['max-rate'], 'max-rate', 10, (n) => n > minRate, `a number > --min-rate (${minRate})`);
    return {
      kind: 'lr-find',
      backend,
      ...(values.optimizer !== undefined && { optimizer: values.optimizer }),
      minRate,
      maxRate,
      steps: integer(values.steps, 'steps', 100, 3),
      mode,
      smoothing: number(values.smoothing, 'smoothing', 0.9, (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
      divergence: number(values.divergence, 'divergence', 4, (n) => n > 1, 'a number > 1'),
      batchSize,
      dataset: dataset(values.dataset),
      seed,
      out,
    };
  }
  if (subcommand === 'plot') {
    if (rest.length !== 1) throw new UsageError('plot takes one schedule spec file: stepsize-demo plot <spec.json>');
    return { kind: 'plot', spec: rest[0] as string, steps: integer(values.steps, 'steps', 1000, 2), out };
  }
  throw new UsageError(`unknown command ${JSON.stringify(subcommand)}; commands: run (default), lr-find, plot`);
}
