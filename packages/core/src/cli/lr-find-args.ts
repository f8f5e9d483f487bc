import { DEFAULT_CHART_HEIGHT, DEFAULT_CHART_WIDTH, scanOptions, shown, UsageError } from './args.js';

/** The backends `lr-find` can train the dataset's MLP on (each its @stepsize package). */
export const LR_FIND_BACKENDS = ['engine', 'tfjs', 'onnxruntime'] as const;

/** `stepsize lr-find [options]`, parsed. */
export interface LrFindCommand {
  readonly kind: 'lr-find';
  /** `iris` (embedded), `mnist` (the `mnist` package), or undefined with `model` and `data`. */
  readonly dataset: 'iris' | 'mnist' | undefined;
  /** A training model (`.onnx`, ONNX Runtime's training convention) and the data file it trains on. */
  readonly model: string | undefined;
  readonly data: string | undefined;
  /** The model's initial parameters: `{ name: { values, shape } }`, or a stepsize checkpoint. */
  readonly params: string | undefined;
  /** The CSV column holding the target (default: the last). */
  readonly target: string | undefined;
  readonly backend: (typeof LR_FIND_BACKENDS)[number];
  /** The optimizer spec (JSON text, or a file holding it). */
  readonly optimizer: string;
  readonly batchSize: number;
  readonly steps: number;
  readonly minLearningRate: number;
  readonly maxLearningRate: number;
  readonly mode: 'exponential' | 'linear';
  readonly smoothing: number;
  readonly divergence: number;
  readonly seed: number;
  /** Where the plot goes (`.svg` or `.png`, drawn by @stepsize/plot). */
  readonly plot: string | undefined;
  readonly format: 'text' | 'json';
  readonly chart: boolean;
  readonly width: number;
  readonly height: number;
  readonly ascii: boolean;
}

const NUMBERS: Readonly<Record<string, { readonly test: (v: number) => boolean; readonly rule: string }>> = {
  '--batch-size': { test: (v) => Number.isSafeInteger(v) && v >= 1, rule: 'an integer >= 1' },
  '--steps': { test: (v) => Number.isSafeInteger(v) && v >= 2 && v <= 1_000_000, rule: 'an integer in [2, 1000000]' },
  '--min': { test: (v) => v > 0 && Number.isFinite(v), rule: 'a finite number > 0' },
  '--max': { test: (v) => v > 0 && Number.isFinite(v), rule: 'a finite number > 0' },
  '--smoothing': { test: (v) => v >= 0 && v < 1, rule: 'a number in [0, 1)' },
  '--divergence': { test: (v) => v > 1 && Number.isFinite(v), rule: 'a finite number > 1' },
  '--seed': { test: (v) => Number.isSafeInteger(v), rule: 'an integer' },
  '--width': { test: (v) => Number.isSafeInteger(v) && v >= 10 && v <= 1000, rule: 'an integer in [10, 1000]' },
  '--height': { test: (v) => Number.isSafeInteger(v) && v >= 2 && v <= 200, rule: 'an integer in [2, 200]' },
};
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  '--dataset': ['iris', 'mnist'],
  '--backend': LR_FIND_BACKENDS,
  '--mode': ['exponential', 'linear'],
  '--format': ['text', 'json'],
};

/** Parses the arguments after `lr-find`; every problem is reported (a {@link UsageError}). */
export function parseLrFindArgs(rest: readonly string[]): LrFindCommand {
  const problems: string[] = [];
  const values = new Map<string, string>();
  const numbers = new Map<string, number>();
  const setValue = (flag: string, value: string): void => {
    values.set(flag, value);
    const number = NUMBERS[flag];
    const choices = CHOICES[flag];
    if (number !== undefined) {
      const parsed = value.trim() === '' ? Number.NaN : Number(value);
      if (number.test(parsed)) numbers.set(flag, parsed);
      else problems.push(`${flag} must be ${number.rule}, got ${shown(value)}`);
    } else if (choices !== undefined && !choices.includes(value)) {
      problems.push(`${flag} must be one of ${choices.join(', ')}, got ${shown(value)}`);
    } else if (flag === '--plot' && !/\.(svg|png)$/i.test(value)) {
      problems.push(`--plot must name a .svg or .png file, got ${shown(value)}`);
    }
  };
  const { switches, positionals } = scanOptions(rest, {
    switches: new Set(['--no-chart', '--ascii']),
    valueFlags: new Set([
      ...Object.keys(NUMBERS),
      ...Object.keys(CHOICES),
      '--model',
      '--data',
      '--params',
      '--target',
      '--optimizer',
      '--plot',
    ]),
    problems,
    setValue,
  });
  for (const positional of positionals) problems.push(`unexpected argument ${shown(positional)}`);
  const model = values.get('--model');
  const data = values.get('--data');
  const dataset = values.get('--dataset') as LrFindCommand['dataset'];
  if (model !== undefined && dataset !== undefined) problems.push('--dataset and --model cannot both be given');
  if (model === undefined && dataset === undefined)
    problems.push('lr-find needs --dataset iris|mnist, or --model training.onnx with --params FILE and --data FILE');
  if (model !== undefined && data === undefined) problems.push('--model needs --data FILE (CSV or JSON examples)');
  if (model !== undefined && !values.has('--params'))
    problems.push('--model needs --params FILE (its initial parameters: { name: { values, shape } }, or a stepsize checkpoint)');
  if (model === undefined && values.has('--params')) problems.push('--params goes with --model');
  if (data !== undefined && model === undefined) problems.push('--data needs --model (with --dataset the data is built in)');
  if (model !== undefined && values.has('--backend') && values.get('--backend') !== 'onnxruntime') {
    problems.push(`--model trains on onnxruntime; --backend ${shown(values.get('--backend') as string)} cannot run an ONNX model`);
  }
  const min = numbers.get('--min') ?? 1e-7;
  const max = numbers.get('--max') ?? 10;
  if (numbers.has('--min') || numbers.has('--max')) {
    if (!(max > min)) problems.push(`--max must be above --min (${min}), got ${max}`);
  }
  if (problems.length > 0) throw new UsageError(problems);
  return {
    kind: 'lr-find',
    dataset,
    model,
    data,
    params: values.get('--params'),
    target: values.get('--target'),
    backend: (model !== undefined ? 'onnxruntime' : (values.get('--backend') ?? 'engine')) as LrFindCommand['backend'],
    optimizer: values.get('--optimizer') ?? '{"type":"adamW"}',
    // The demo's batch sizes for its datasets.
    batchSize: numbers.get('--batch-size') ?? (dataset === 'iris' ? 12 : dataset === 'mnist' ? 32 : 16),
    steps: numbers.get('--steps') ?? 100,
    minLearningRate: min,
    maxLearningRate: max,
    mode: (values.get('--mode') ?? 'exponential') as LrFindCommand['mode'],
    smoothing: numbers.get('--smoothing') ?? 0.98,
    divergence: numbers.get('--divergence') ?? 5,
    seed: numbers.get('--seed') ?? 0,
    plot: values.get('--plot'),
    format: (values.get('--format') ?? 'text') as LrFindCommand['format'],
    chart: !switches.has('--no-chart'),
    width: numbers.get('--width') ?? DEFAULT_CHART_WIDTH,
    height: numbers.get('--height') ?? DEFAULT_CHART_HEIGHT,
    ascii: switches.has('--ascii'),
  };
}
