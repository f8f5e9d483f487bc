import { DEFAULT_CHART_HEIGHT, DEFAULT_CHART_WIDTH, scanOptions, shown, UsageError } from './args.js';

/** `stepsize diagnose <history> [options]`, parsed. */
export interface DiagnoseCommand {
  readonly kind: 'diagnose';
  /** The history file (CSV or JSON), or `-` for stdin. */
  readonly history: string;
  /** A schedule spec file: recommendations then include the changed spec. */
  readonly schedule: string | undefined;
  readonly format: 'text' | 'json';
  /** Where the HTML report goes; undefined for none. */
  readonly report: string | undefined;
  readonly chart: boolean;
  readonly width: number;
  readonly height: number;
  readonly ascii: boolean;
}

const FORMATS = ['text', 'json'] as const;

/** The default report path: the history's path with its extension replaced by `.diagnosis.html`. */
export function defaultReportPath(history: string): string {
  const slash = Math.max(history.lastIndexOf('/'), history.lastIndexOf('\\'));
  const dot = history.lastIndexOf('.');
  return `${dot > slash + 1 ? history.slice(0, dot) : history}.diagnosis.html`;
}

/** Parses the arguments after `diagnose`; every problem is reported (a {@link UsageError}). */
export function parseDiagnoseArgs(rest: readonly string[]): DiagnoseCommand {
  const problems: string[] = [];
  const values = new Map<string, string>();
  const sizes = new Map<string, number>();
  const limits: Readonly<Record<string, readonly [number, number]>> = { '--width': [10, 1000], '--height': [2, 200] };
  const setValue = (flag: string, value: string): void => {
    values.set(flag, value);
    const limit = limits[flag];
    if (flag === '--format' && !(FORMATS as readonly string[]).includes(value)) {
      problems.push(`--format must be one of ${FORMATS.join(', ')}, got ${shown(value)}`);
    } else if (limit !== undefined) {
      const number = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
      if (number >= limit[0] && number <= limit[1]) sizes.set(flag, number);
      else problems.push(`${flag} must be an integer in [${limit[0]}, ${limit[1]}], got ${shown(value)}`);
    }
  };
  const { switches, positionals } = scanOptions(rest, {
    switches: new Set(['--no-report', '--no-chart', '--ascii']),
    valueFlags: new Set(['--schedule', '--format', '--report', '--width', '--height']),
    problems,
    setValue,
  });
  if (positionals.length === 0) problems.push('diagnose needs a history file (CSV or JSON, or - to read stdin)');
  if (positionals.length > 1) problems.push(`unexpected argument ${shown(positionals[1] as string)}`);
  if (switches.has('--no-report') && values.has('--report')) problems.push('--report and --no-report cannot both be given');
  const history = positionals[0] as string;
  if (history === '-' && values.get('--schedule') === '-') problems.push('--schedule cannot be - when the history is read from stdin');
  if (problems.length > 0) throw new UsageError(problems);
  const report = switches.has('--no-report')
    ? undefined
    : (values.get('--report') ?? (history === '-' ? undefined : defaultReportPath(history)));
  return {
    kind: 'diagnose',
    history,
    schedule: values.get('--schedule'),
    format: (values.get('--format') ?? 'text') as DiagnoseCommand['format'],
    report,
    chart: !switches.has('--no-chart'),
    width: sizes.get('--width') ?? DEFAULT_CHART_WIDTH,
    height: sizes.get('--height') ?? DEFAULT_CHART_HEIGHT,
    ascii: switches.has('--ascii'),
  };
}
