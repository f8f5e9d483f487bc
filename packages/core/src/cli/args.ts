import { type DiagnoseCommand, parseDiagnoseArgs } from './diagnose-args.js';
import { type LrFindCommand, parseLrFindArgs } from './lr-find-args.js';
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
/**
 * The most steps `stepsize sample` prints (`--steps` above it is a usage
 * error): ten million rows, about 250 MB of CSV and 80 MB of values in memory.
 */
export const MAX_STEPS = 10_000_000;
/** The most significant digits `--significant` accepts: 17 digits always read back to the same double. */
export const MAX_SIGNIFICANT_DIGITS = 17;

/** The validated options of `stepsize sample`. */
export interface SampleCommand {
  readonly kind: 'sample';
  /** A file path, or `-` for stdin. */
  readonly spec: string;
  /** How many steps to sample (`--steps`, 1 to {@link MAX_STEPS}). */
  readonly steps: number;
  /** First step sampled (>= 0). */
  readonly start: number;
  /** Distance between sampled steps (>= 1). */
  readonly every: number;
  readonly format: Format;
  /**
   * Print values rounded to this many significant digits (`--significant`,
   * 1 to {@link MAX_SIGNIFICANT_DIGITS}); `undefined` prints the exact value
   * (the shortest decimal that reads back to the same double).
   */
  readonly significant: number | undefined;
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
export type Command = { readonly kind: 'help' } | { readonly kind: 'version' } | SampleCommand | DiagnoseCommand | LrFindCommand;

/**
 * A bad command line: unknown flags, missing or malformed values, missing
 * arguments. `problems` lists every one found, in command-line order; the CLI
 * prints each on its own line, then a hint to run `stepsize --help`, and
 * exits with status 2.
 */
export class UsageError extends Error {
  /** One message per problem (at least one). */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'UsageError';
    this.problems = problems;
  }
}

interface IntegerFlag {
  readonly min: number;
  readonly max: number;
  /** Why values above `max` are refused, for the error message. */
  readonly limit?: string;
}

const INTEGER_FLAGS: Readonly<Record<string, IntegerFlag>> = {
  '--steps': { min: 1, max: MAX_STEPS, limit: 'the most rows stepsize prints' },
  '--start': { min: 0, max: Number.MAX_SAFE_INTEGER },
  '--every': { min: 1, max: Number.MAX_SAFE_INTEGER },
  '--significant': { min: 1, max: MAX_SIGNIFICANT_DIGITS },
  '--width': { min: 10, max: 1000 },
  '--height': { min: 2, max: 200 },
};

const VALUE_FLAGS = new Set([...Object.keys(INTEGER_FLAGS), '--format']);
const SWITCHES = new Set(['--no-chart', '--ascii', '--all']);

/** Quotes a command-line value for an error message. */
export function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

/** The value of an integer flag, or the problem with it. */
function parseInteger(flag: string, raw: string): number | { readonly problem: string } {
  const range = INTEGER_FLAGS[flag] as IntegerFlag;
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (value >= range.min && value <= range.max) return value;
  if (value > range.max && range.limit !== undefined) {
    return { problem: `${flag} must be at most ${range.max} (${range.limit}), got ${shown(raw)}` };
  }
  const bounds = range.max === Number.MAX_SAFE_INTEGER ? `>= ${range.min}` : `in [${range.min}, ${range.max}]`;
  return { problem: `${flag} must be an integer ${bounds}, got ${shown(raw)}` };
}

/** What {@link scanOptions} found. */
export interface ScannedOptions {
  readonly switches: ReadonlySet<string>;
  /** Value flags given (also when their value was bad). */
  readonly given: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/**
 * Walks a command's arguments: `--flag value`, `--flag=value`, switches, positionals and `--`;
 * each value goes to `setValue` (once: a repeated flag is a problem), every problem to `problems`.
 */
export function scanOptions(
  rest: readonly string[],
  spec: {
    readonly switches: ReadonlySet<string>;
    readonly valueFlags: ReadonlySet<string>;
    readonly problems: string[];
    readonly setValue: (flag: string, value: string) => void;
  },
): ScannedOptions {
  const { problems } = spec;
  const switches = new Set<string>();
  const given = new Set<string>();
  const seen = new Set<string>();
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
    if (spec.switches.has(flag)) {
      if (inline === undefined) switches.add(flag);
      else problems.push(`${flag} takes no value, got ${shown(inline)}`);
      continue;
    }
    if (!spec.valueFlags.has(flag)) {
      problems.push(`unknown option ${shown(flag)}`);
      continue;
    }
    given.add(flag);
    let value = inline;
    if (value === undefined) {
      const next = rest[i + 1];
      if (next === undefined || next.startsWith('--')) {
        problems.push(`${flag} needs a value`);
        continue;
      }
      value = next;
      i += 1;
    }
    if (seen.has(flag)) problems.push(`${flag} given twice`);
    else {
      seen.add(flag);
      spec.setValue(flag, value);
    }
  }
  return { switches, given, positionals };
}

/**
 * Parses the arguments after `stepsize` (i.e. `process.argv.slice(2)`).
 *
 * `-h`/`--help` anywhere, or the `help` command, asks for help; `--version`
 * asks for the version. Otherwise the command must be
 * `sample <spec.json|-> --steps N [options]`; flags take their value as the
 * next argument or after `=` (`--steps=30`), and `--` ends the options.
 *
 * @throws {@link UsageError} listing every problem found (unknown command
 * aside, which stops the parse), each naming the argument and the bad value.
 */
export function parseArgs(argv: readonly string[]): Command {
  const endOfOptions = argv.indexOf('--');
  const optionPart = endOfOptions === -1 ? argv : argv.slice(0, endOfOptions);
  if (optionPart.includes('--help') || optionPart.includes('-h') || argv[0] === 'help') return { kind: 'help' };
  if (optionPart.includes('--version')) return { kind: 'version' };

  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError(['missing command (try: stepsize sample <spec.json|-> --steps N)']);
  if (command === 'diagnose') return parseDiagnoseArgs(rest);
  if (command === 'lr-find') return parseLrFindArgs(rest);
  if (command !== 'sample') {
    throw new UsageError([
      `unknown ${command.startsWith('-') ? 'option' : 'command'} ${shown(command)} (commands: sample, diagnose, lr-find)`,
    ]);
  }

  const problems: string[] = [];
  const values = new Map<string, string>();
  const integers = new Map<string, number>();
  const setValue = (flag: string, value: string): void => {
    values.set(flag, value);
    if (flag === '--format') {
      if (!(FORMATS as readonly string[]).includes(value)) {
        problems.push(`--format must be one of ${FORMATS.join(', ')}, got ${shown(value)}`);
      }
      return;
    }
    const parsed = parseInteger(flag, value);
    if (typeof parsed === 'number') integers.set(flag, parsed);
    else problems.push(parsed.problem);
  };
  const { switches, given, positionals } = scanOptions(rest, { switches: SWITCHES, valueFlags: VALUE_FLAGS, problems, setValue });

  if (positionals.length === 0) problems.push('sample needs a spec file (a path, or - to read stdin)');
  if (positionals.length > 1) problems.push(`unexpected argument ${shown(positionals[1] as string)}`);
  if (!given.has('--steps')) problems.push('sample needs --steps N (how many steps to sample)');

  const integer = (flag: string, fallback: number): number => integers.get(flag) ?? fallback;
  const steps = integers.get('--steps');
  const start = integer('--start', 0);
  const every = integer('--every', 1);
  if (steps !== undefined) {
    const last = start + (steps - 1) * every;
    if (!Number.isSafeInteger(last)) {
      problems.push(
        `the last step --start + (--steps - 1) * --every = ${last} exceeds 2^53 - 1 (--start ${start}, --steps ${steps}, --every ${every})`,
      );
    }
  }
  if (problems.length > 0 || steps === undefined) throw new UsageError(problems);
  return {
    kind: 'sample',
    spec: positionals[0] as string,
    steps,
    start,
    every,
    format: (values.get('--format') ?? 'table') as Format,
    significant: integers.get('--significant'),
    chart: !switches.has('--no-chart'),
    width: integer('--width', DEFAULT_CHART_WIDTH),
    height: integer('--height', DEFAULT_CHART_HEIGHT),
    ascii: switches.has('--ascii'),
    all: switches.has('--all'),
  };
}
