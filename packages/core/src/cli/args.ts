/** Output formats of `stepsize sample`. */
export const FORMATS = ['table', 'json', 'csv'] as const;

/** One output format of `stepsize sample`. */
export type Format = (typeof FORMATS)[number];

/** Default chart plot area, in character cells. */
export const DEFAULT_CHART_WIDTH = 60;
/** Default chart plot height, in character cells. */
export const DEFAULT_CHART_HEIGHT = 12;
/** Above this many rows the table shows only the first and last {@link TABLE_EDGE_ROWS} (unless `--all`). */
export const TABLE_MAX_ROWS = 40;
/** Rows kept at each end of a shortened table. */
export const TABLE_EDGE_ROWS = 20;

/** The validated options of `stepsize sample`. */
export interface SampleCommand {
  readonly kind: 'sample';
  /** A file path, or `-` for stdin. */
  readonly spec: string;
  /** How many steps to sample (>= 1). */
  readonly count: number;
  /** First step sampled (>= 0). */
  readonly start: number;
  /** Distance between sampled steps (>= 1). */
  readonly every: number;
  readonly format: Format;
  /** Table format: draw the chart. */
  readonly chart: boolean;
  /** Chart plot area width in character cells. */
  readonly width: number;
  /** Chart plot area height in character cells. */
  readonly height: number;
  /** Chart with plain ASCII characters instead of Unicode braille. */
  readonly ascii: boolean;
  /** Table format: print every row instead of the first and last 20. */
  readonly all: boolean;
}

/** What the command line asks for. */
export type Command = { readonly kind: 'help' } | { readonly kind: 'version' } | SampleCommand;

/**
 * A bad command line: unknown flag, missing or malformed value, missing
 * argument. The CLI prints its message with a hint to run `stepsize --help`
 * and exits with status 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface IntegerFlag {
  readonly min: number;
  readonly max: number;
}

const INTEGER_FLAGS: Readonly<Record<string, IntegerFlag>> = {
  '--steps': { min: 1, max: 2 ** 31 - 1 },
  '--start': { min: 0, max: Number.MAX_SAFE_INTEGER },
  '--every': { min: 1, max: Number.MAX_SAFE_INTEGER },
  '--width': { min: 10, max: 1000 },
  '--height': { min: 2, max: 200 },
};

const VALUE_FLAGS = new Set([...Object.keys(INTEGER_FLAGS), '--format']);
const SWITCHES = new Set(['--no-chart', '--ascii', '--all']);

/** Quotes a command-line value for an error message. */
function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

function parseInteger(flag: string, raw: string): number {
  const range = INTEGER_FLAGS[flag] as IntegerFlag;
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= range.min && value <= range.max)) {
    const bounds = range.max === Number.MAX_SAFE_INTEGER ? `>= ${range.min}` : `in [${range.min}, ${range.max}]`;
    throw new UsageError(`${flag} must be an integer ${bounds}, got ${shown(raw)}`);
  }
  return value;
}

/**
 * Parses the arguments after `stepsize` (i.e. `process.argv.slice(2)`).
 *
 * `-h`/`--help` anywhere, or the `help` command, asks for help; `--version`
 * asks for the version. Otherwise the command must be
 * `sample <spec.json|-> --steps N [options]`; flags take their value as the
 * next argument or after `=` (`--steps=30`), and `--` ends the options.
 *
 * @throws {@link UsageError} naming the argument and the bad value.
 */
export function parseArgs(argv: readonly string[]): Command {
  const endOfOptions = argv.indexOf('--');
  const optionPart = endOfOptions === -1 ? argv : argv.slice(0, endOfOptions);
  if (optionPart.includes('--help') || optionPart.includes('-h') || argv[0] === 'help') return { kind: 'help' };
  if (optionPart.includes('--version')) return { kind: 'version' };

  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('missing command (try: stepsize sample <spec.json|-> --steps N)');
  if (command !== 'sample') {
    throw new UsageError(`unknown ${command.startsWith('-') ? 'option' : 'command'} ${shown(command)}`);
  }

  const values = new Map<string, string>();
  const switches = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i] as string;
    if (arg === '--') {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const flag = equals === -1 ? arg : arg.slice(0, equals);
    const inline = equals === -1 ? undefined : arg.slice(equals + 1);
    if (SWITCHES.has(flag)) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value, got ${shown(inline)}`);
      switches.add(flag);
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) throw new UsageError(`unknown option ${shown(flag)}`);
    if (values.has(flag)) throw new UsageError(`${flag} given twice`);
    let value = inline;
    if (value === undefined) {
      const next = rest[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      value = next;
      i += 1;
    }
    values.set(flag, value);
  }

  if (positionals.length === 0) throw new UsageError('sample needs a spec file (a path, or - to read stdin)');
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${shown(positionals[1] as string)}`);
  const stepsRaw = values.get('--steps');
  if (stepsRaw === undefined) throw new UsageError('sample needs --steps N (how many steps to sample)');

  const integer = (flag: string, fallback: number): number => {
    const raw = values.get(flag);
    return raw === undefined ? fallback : parseInteger(flag, raw);
  };
  const count = parseInteger('--steps', stepsRaw);
  const start = integer('--start', 0);
  const every = integer('--every', 1);
  const last = start + (count - 1) * every;
  if (!Number.isSafeInteger(last)) {
    throw new UsageError(
      `the last step --start + (--steps - 1) * --every = ${last} exceeds 2^53 - 1 (--start ${start}, --steps ${count}, --every ${every})`,
    );
  }
  const format = values.get('--format') ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got ${shown(format)}`);
  }
  return {
    kind: 'sample',
    spec: positionals[0] as string,
    count,
    start,
    every,
    format: format as Format,
    chart: !switches.has('--no-chart'),
    width: integer('--width', DEFAULT_CHART_WIDTH),
    height: integer('--height', DEFAULT_CHART_HEIGHT),
    ascii: switches.has('--ascii'),
    all: switches.has('--all'),
  };
}
