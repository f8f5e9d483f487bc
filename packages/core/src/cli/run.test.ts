import { execFile, spawn } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample, scheduleFromJSON } from '../index.js';
import { HELP_TEXT } from './help.js';
import type { OutputStream } from './output.js';
import { run, type CliIO } from './run.js';

/** Cosine annealing from 1 to 0.1 over 10 steps, sampled at steps 0..10. */
const COSINE_SPEC = { type: 'cosineAnnealing', initialValue: 1, steps: 10, minValue: 0.1 };
const COSINE_TEXT = JSON.stringify(COSINE_SPEC);
/** The formula, computed independently of the library. */
const cosineValue = (t: number): number => 0.1 + ((1 - 0.1) * (1 + Math.cos((Math.PI * t) / 10))) / 2;
const COSINE_STEPS = Array.from({ length: 11 }, (_, t) => t);
const COSINE_VALUES = COSINE_STEPS.map(cosineValue);

const HINT = "; run 'stepsize --help' for usage\n";

/** Divides by 10 each step: 0.0007, then 0.0007 * 0.1, which is 7.000000000000001e-5 in doubles, not 7e-5. */
const TENTH_SPEC = { type: 'exponential', initialValue: 0.0007, gamma: 0.1 };

/** ramp.json: 0 to 1 over 99 steps. */
const RAMP_SPEC = { type: 'linear', initialValue: 0, endValue: 1, steps: 99 };
/** The ramp.json values (0 to 1 over 99 steps, then held at 1), computed independently of the library. */
const rampValue = (step: number): number => Math.min(step, 99) / 99;

/** True when `/dev/full` (writes fail with ENOSPC) exists, as on Linux. */
const hasDevFull = existsSync('/dev/full');

let dir = '';
const file = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stepsize-cli-'));
  await writeFile(file('cosine.json'), COSINE_TEXT);
  await writeFile(file('bom.json'), `\uFEFF${COSINE_TEXT}`);
  await writeFile(file('broken.json'), '{"type": "cosineAnnealing",');
  await writeFile(file('bad-steps.json'), JSON.stringify({ type: 'cosineAnnealing', initialValue: 1, steps: -3 }));
  await writeFile(file('nested.json'), JSON.stringify({ type: 'warmup', steps: 5, schedule: { type: 'nope' } }));
  await writeFile(file('overflow.json'), JSON.stringify({ type: 'exponential', initialValue: 1, gamma: 10 }));
  await writeFile(file('ramp.json'), JSON.stringify(RAMP_SPEC));
  await writeFile(file('tenth.json'), JSON.stringify(TENTH_SPEC));
  await mkdir(file('a-directory'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** An in-memory {@link OutputStream}: records every chunk, and never asks to wait. */
function memoryOutput(): OutputStream & { readonly chunks: string[] } {
  const chunks: string[] = [];
  return {
    chunks,
    write: (chunk, callback) => {
      chunks.push(chunk);
      queueMicrotask(() => callback());
      return true;
    },
    once: () => undefined,
    removeListener: () => undefined,
  };
}

/** Runs the CLI in-process with real file reads and `stdin` given as chunks. */
async function cli(argv: readonly string[], stdin: readonly (string | Uint8Array)[] = []): Promise<Result> {
  const stdout = memoryOutput();
  let stderr = '';
  const io: CliIO = {
    stdout,
    stderr: { write: (chunk: string) => (stderr += chunk) },
    stdin: (async function* () {
      yield* stdin;
    })(),
    readFile: (path) => readFile(path, 'utf8'),
  };
  const code = await run(argv, io);
  return { code, stdout: stdout.chunks.join(''), stderr };
}

describe('stepsize sample: formats', () => {
  it('csv: a step,value header then one row per step, full precision', async () => {
    const result = await cli(['sample', file('cosine.json'), '--steps', '11', '--format', 'csv']);
    const expected = ['step,value', ...COSINE_STEPS.map((t) => `${t},${String(cosineValue(t))}`)].join('\n');
    expect(result).toEqual({ code: 0, stdout: `${expected}\n`, stderr: '' });
    // Full precision: the printed values read back to exactly the formula's doubles.
    const values = result.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((row) => Number(row.split(',')[1]));
    expect(values).toEqual(COSINE_VALUES);
    expect(values[1]).toBe(0.9779754323328191);
  });

  it('json: type, spec, steps and values on stdout and nothing else', async () => {
    const result = await cli(['sample', file('cosine.json'), '--steps', '11', '--format', 'json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      `${JSON.stringify({ type: 'cosineAnnealing', spec: COSINE_SPEC, steps: COSINE_STEPS, values: COSINE_VALUES })}\n`,
    );
    const parsed = JSON.parse(result.stdout) as { values: number[] };
    expect(parsed.values).toEqual(COSINE_VALUES);
  });

  it('table: header, chart, then the aligned step/value table', async () => {
    const result = await cli(['sample', file('cosine.json'), '--steps', '11']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('cosineAnnealing: 11 steps (0 to 10)');
    expect(lines[1]).toBe('');
    // Default chart: 12 plot rows, the x axis, the step labels, a blank line.
    const chart = lines.slice(2, 2 + 14);
    expect(chart[0]).toMatch(/^ {2}1 ┤/);
    expect(chart[11]).toMatch(/^0\.1 ┤/);
    expect(chart[12]).toBe(`    └${'─'.repeat(60)}`);
    expect(chart[13]).toBe(`     0${' '.repeat(57)}10`);
    expect(lines[16]).toBe('');
    const table = lines.slice(17);
    expect(table).toEqual(['step  value', ...COSINE_STEPS.map((t) => `${String(t).padStart(4)}  ${String(cosineValue(t))}`), '']);
  });

  it('table --no-chart: header, blank line, table', async () => {
    const result = await cli(['sample', file('cosine.json'), '--steps', '3', '--no-chart']);
    expect(result.stdout).toBe(
      ['cosineAnnealing: 3 steps (0 to 2)', '', 'step  value', `   0  1`, `   1  ${cosineValue(1)}`, `   2  ${cosineValue(2)}`, ''].join(
        '\n',
      ),
    );
  });

  it('table with --start and --every: samples start, start + every, ...', async () => {
    const result = await cli(['sample', file('cosine.json'), '--steps=4', '--start', '2', '--every=3', '--no-chart']);
    expect(result.stdout).toBe(
      [
        'cosineAnnealing: 4 steps (2 to 11, every 3)',
        '',
        'step  value',
        `   2  ${cosineValue(2)}`,
        `   5  ${cosineValue(5)}`,
        `   8  ${cosineValue(8)}`,
        '  11  0.1', // held at minValue after the last step
        '',
      ].join('\n'),
    );
  });

  it('table above 40 rows: first 20, an ellipsis line, last 20; --all prints every row', async () => {
    const short = await cli(['sample', file('ramp.json'), '--steps', '100', '--no-chart']);
    const lines = short.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('linear: 100 steps (0 to 99)');
    const rows = lines.slice(3);
    expect(rows).toHaveLength(41);
    expect(rows[0]).toBe('   0  0');
    expect(rows[19]).toMatch(/^ {2}19 {2}/);
    expect(rows[20]).toBe(' ...  (60 more rows; --all prints them)');
    expect(rows[21]).toMatch(/^ {2}80 {2}/);
    expect(rows[40]).toBe('  99  1');

    const all = await cli(['sample', file('ramp.json'), '--steps', '100', '--no-chart', '--all']);
    expect(all.stdout.trimEnd().split('\n').slice(3)).toHaveLength(100);

    const forty = await cli(['sample', file('ramp.json'), '--steps', '40', '--no-chart']);
    expect(forty.stdout).not.toContain('...');
  });

  it('table --ascii --width --height: an ASCII chart of the requested size', async () => {
    const result = await cli(['sample', file('ramp.json'), '--steps', '100', '--ascii', '--width', '20', '--height', '5']);
    const chart = result.stdout.split('\n').slice(2, 9);
    expect(chart).toEqual([
      '1 +                 ***',
      '  |            ******',
      '  |       ******',
      '  |  ******',
      '0 +***',
      `  +${'-'.repeat(20)}`,
      `   0${' '.repeat(17)}99`,
    ]);
    expect(result.stdout).toMatch(/^\p{ASCII}*$/u);
  });
});

describe('stepsize sample: values print exactly, or rounded with --significant', () => {
  const exact = Array.from(sample(scheduleFromJSON(TENTH_SPEC), { steps: 6 }));

  /** The values column of each format's output, read back as numbers. */
  const printedValues = (format: string, stdout: string): number[] => {
    if (format === 'json') return (JSON.parse(stdout) as { values: number[] }).values;
    const rows = format === 'csv' ? stdout.trim().split('\n').slice(1) : stdout.trim().split('\n').slice(3);
    return rows.map((row) => Number(format === 'csv' ? row.split(',')[1] : row.trim().split(/ +/)[1]));
  };

  it('prints the value the schedule returns: 0.0007 * 0.1 is 0.00007000000000000001', async () => {
    expect(exact[1]).toBe(0.0007 * 0.1);
    expect(exact[1]).not.toBe(7e-5);
    const csv = await cli(['sample', file('tenth.json'), '--steps', '3', '--format', 'csv']);
    expect(csv.stdout).toBe('step,value\n0,0.0007\n1,0.00007000000000000001\n2,0.000007000000000000002\n');
  });

  it.each(['csv', 'json', 'table'])('%s: every printed value reads back to exactly the sampled double', async (format) => {
    const result = await cli(['sample', file('tenth.json'), '--steps', '6', '--format', format, '--no-chart']);
    expect(result.code).toBe(0);
    expect(printedValues(format, result.stdout)).toEqual(exact);
  });

  it.each(['csv', 'json', 'table'])('%s --significant 6: the same rounded values in every format', async (format) => {
    const result = await cli(['sample', file('tenth.json'), '--steps', '6', '--format', format, '--no-chart', '--significant', '6']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(format === 'csv' ? '\n1,0.00007\n' : format === 'json' ? ',0.00007,' : '   1  0.00007\n');
    expect(printedValues(format, result.stdout)).toEqual([0.0007, 7e-5, 7e-6, 7e-7, 7e-8, 7e-9]);
  });

  it('--significant rounds half away from zero like toPrecision, and 17 digits is exact', async () => {
    const three = await cli(['sample', file('cosine.json'), '--steps', '2', '--format', 'csv', '--significant', '3']);
    expect(three.stdout).toBe('step,value\n0,1\n1,0.978\n');
    const seventeen = await cli(['sample', file('tenth.json'), '--steps', '6', '--format', 'json', '--significant', '17']);
    expect((JSON.parse(seventeen.stdout) as { values: number[] }).values).toEqual(exact);
  });
});

/**
 * A stream with a 16 KiB buffer that a slow reader empties on a later turn
 * of the event loop: `write()` returns false once the buffer is full, and
 * `'drain'` follows when it is empty again. Counts writes made while the
 * stream had asked to wait.
 */
function slowOutput(): OutputStream & { readonly chunks: string[]; drains: number; writesWhileFull: number } {
  const highWaterMark = 16 * 1024;
  const drainListeners = new Set<() => void>();
  let buffered = 0;
  let full = false;
  const stream = {
    chunks: [] as string[],
    drains: 0,
    writesWhileFull: 0,
    write(chunk: string, callback: (error?: Error | null) => void): boolean {
      if (full) stream.writesWhileFull += 1;
      stream.chunks.push(chunk);
      buffered += chunk.length;
      setImmediate(() => {
        buffered -= chunk.length;
        callback();
        if (buffered === 0 && full) {
          full = false;
          stream.drains += 1;
          const listeners = [...drainListeners];
          drainListeners.clear();
          for (const listener of listeners) listener();
        }
      });
      full = buffered >= highWaterMark;
      return !full;
    },
    once(_event: 'drain', listener: () => void): void {
      drainListeners.add(listener);
    },
    removeListener(_event: 'drain', listener: () => void): void {
      drainListeners.delete(listener);
    },
  };
  return stream;
}

describe('stepsize sample: the output is streamed in chunks, waiting for drain', () => {
  const steps = 50_000;
  const stepList = Array.from({ length: steps }, (_, step) => step);
  const expected: Record<string, string> = {
    csv: `step,value\n${stepList.map((step) => `${step},${rampValue(step)}\n`).join('')}`,
    json: `${JSON.stringify({ type: 'linear', spec: RAMP_SPEC, steps: stepList, values: stepList.map(rampValue) })}\n`,
  };

  it.each(['csv', 'json', 'table'])('%s: bounded chunks, no write while the stream is full, the same text', async (format) => {
    const stdout = slowOutput();
    let stderr = '';
    const io: CliIO = {
      stdout,
      stderr: { write: (chunk: string) => (stderr += chunk) },
      stdin: (async function* () {})(),
      readFile: (path) => readFile(path, 'utf8'),
    };
    const code = await run(['sample', file('ramp.json'), '--steps', String(steps), '--format', format, '--all'], io);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.chunks.length).toBeGreaterThan(3);
    expect(Math.max(...stdout.chunks.map((chunk) => chunk.length))).toBeLessThan(80 * 1024);
    expect(stdout.drains).toBeGreaterThan(0);
    expect(stdout.writesWhileFull).toBe(0);
    const text = stdout.chunks.join('');
    if (format === 'table') {
      const rows = text.trimEnd().split('\n').slice(-steps);
      const stepWidth = String(steps - 1).length;
      expect(rows[0]).toBe(`${'0'.padStart(stepWidth)}  0`);
      expect(rows[steps - 1]).toBe(`${steps - 1}  1`);
      expect(rows.map((row) => Number(row.trim().split('  ')[1]))).toEqual(stepList.map(rampValue));
    } else {
      expect(text).toBe(expected[format]);
    }
  });
});

describe('stepsize sample: write errors', () => {
  it.skipIf(!hasDevFull)('a full device (ENOSPC) is one line on stderr and exit 1', async () => {
    const stdout = createWriteStream('/dev/full');
    stdout.on('error', () => {}); // as main.ts does: run() learns of the error from the write callback
    let stderr = '';
    const io: CliIO = {
      stdout,
      stderr: { write: (chunk: string) => (stderr += chunk) },
      stdin: (async function* () {})(),
      readFile: (path) => readFile(path, 'utf8'),
    };
    const code = await run(['sample', file('ramp.json'), '--steps', '100000', '--format', 'csv'], io);
    stdout.destroy();
    expect({ code, stderr }).toEqual({ code: 1, stderr: 'stepsize: cannot write output: ENOSPC: no space left on device, write\n' });
  });

  it('a reader that goes away (EPIPE) stops the output at once, quietly, with exit 0', async () => {
    // A reader that takes one chunk and exits, closing the pipe.
    const reader = spawn(process.execPath, ['-e', "process.stdin.once('data', () => process.exit(0))"], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    const pipe = reader.stdin;
    pipe.on('error', () => {}); // as main.ts does: run() learns of the error from the write callback
    const exited = new Promise((resolve) => reader.once('exit', resolve));
    let handedOver = 0;
    let stderr = '';
    const io: CliIO = {
      stdout: {
        write: (chunk, callback) => {
          handedOver += chunk.length;
          return pipe.write(chunk, callback);
        },
        once: (event, listener) => pipe.once(event, listener),
        removeListener: (event, listener) => pipe.removeListener(event, listener),
      },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      stdin: (async function* () {})(),
      readFile: (path) => readFile(path, 'utf8'),
    };
    const steps = 2_000_000;
    const code = await run(['sample', file('ramp.json'), '--steps', String(steps), '--format', 'csv'], io);
    await exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    // The whole CSV is about 19 million characters; the CLI stopped long before formatting it all.
    expect(handedOver).toBeLessThan(steps);
  });

  it('a write that throws is reported the same way', async () => {
    let stderr = '';
    const error = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    const io: CliIO = {
      stdout: {
        write: () => {
          throw error;
        },
        once: () => undefined,
        removeListener: () => undefined,
      },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      stdin: (async function* () {})(),
      readFile: (path) => readFile(path, 'utf8'),
    };
    expect(await run(['--help'], io)).toBe(1);
    expect(stderr).toBe('stepsize: cannot write output: EIO: i/o error, write\n');
  });
});

describe('stepsize sample: input', () => {
  it('reads the spec from stdin with -, in byte chunks split inside a character', async () => {
    const bytes = new TextEncoder().encode(`\uFEFF${JSON.stringify({ ...COSINE_SPEC, $schema: 'é' })}`);
    const chunks = [bytes.slice(0, 2), bytes.slice(2, 40), bytes.slice(40)];
    const result = await cli(['sample', '-', '--steps', '11', '--format', 'csv'], chunks);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').slice(1)).toEqual(COSINE_STEPS.map((t) => `${t},${cosineValue(t)}`));
  });

  it('reads stdin given as strings, and the file after --', async () => {
    const fromStdin = await cli(['sample', '--steps', '2', '--format', 'csv', '-'], [COSINE_TEXT.slice(0, 9), COSINE_TEXT.slice(9)]);
    const fromFile = await cli(['sample', '--steps', '2', '--format', 'csv', '--', file('cosine.json')]);
    expect(fromStdin.stdout).toBe(`step,value\n0,1\n1,${cosineValue(1)}\n`);
    expect(fromFile.stdout).toBe(fromStdin.stdout);
  });

  it('accepts a UTF-8 byte order mark in a file', async () => {
    const result = await cli(['sample', file('bom.json'), '--steps', '1', '--format', 'csv']);
    expect(result).toEqual({ code: 0, stdout: 'step,value\n0,1\n', stderr: '' });
  });
});

describe('stepsize: help and version', () => {
  it.each([['--help'], ['-h'], ['help'], ['help', 'sample'], ['sample', 'x.json', '--help']])(
    '%s prints the help on stdout, exit 0',
    async (...argv) => {
      expect(await cli(argv)).toEqual({ code: 0, stdout: HELP_TEXT, stderr: '' });
    },
  );

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('the help documents every option', () => {
    for (const flag of [
      '--steps',
      '--start',
      '--every',
      '--format',
      '--no-chart',
      '--width',
      '--height',
      '--ascii',
      '--all',
      '--schedule',
      '--report',
      '--no-report',
    ]) {
      expect(HELP_TEXT).toContain(flag);
    }
  });
});

describe('stepsize: bad arguments exit 2 with one line naming the argument and the value', () => {
  const cases: [string[], string][] = [
    [[], 'missing command (try: stepsize sample <spec.json|-> --steps N)'],
    [['plot'], 'unknown command "plot" (commands: sample, diagnose, lr-find)'],
    [['--bogus'], 'unknown option "--bogus" (commands: sample, diagnose, lr-find)'],
    [['sample', 'x.json', '--steps', '3', '--bogus'], 'unknown option "--bogus"'],
    [['sample', 'x.json', '--steps', '3', '-q'], 'unknown option "-q"'],
    [['sample', 'x.json', '--steps', '3', '--colour=red'], 'unknown option "--colour"'],
    [['sample', '--steps', '3'], 'sample needs a spec file (a path, or - to read stdin)'],
    [['sample', 'x.json'], 'sample needs --steps N (how many steps to sample)'],
    [['sample', 'x.json', '--steps'], '--steps needs a value'],
    [['sample', 'x.json', '--steps', '--all'], '--steps needs a value'],
    [['sample', 'x.json', '--steps', '3', '--format'], '--format needs a value'],
    [['sample', 'x.json', '--steps', '0'], '--steps must be an integer in [1, 10000000], got "0"'],
    [['sample', 'x.json', '--steps', 'abc'], '--steps must be an integer in [1, 10000000], got "abc"'],
    [['sample', 'x.json', '--steps', '2.5'], '--steps must be an integer in [1, 10000000], got "2.5"'],
    [['sample', 'x.json', '--steps', '-4'], '--steps must be an integer in [1, 10000000], got "-4"'],
    [['sample', 'x.json', '--steps', '1e3'], '--steps must be an integer in [1, 10000000], got "1e3"'],
    [['sample', 'x.json', '--steps='], '--steps must be an integer in [1, 10000000], got ""'],
    [['sample', 'x.json', '--steps', '3000000000'], '--steps must be at most 10000000 (the most rows stepsize prints), got "3000000000"'],
    [['sample', 'x.json', '--steps', '2147483647'], '--steps must be at most 10000000 (the most rows stepsize prints), got "2147483647"'],
    [['sample', 'x.json', '--steps', '10000001'], '--steps must be at most 10000000 (the most rows stepsize prints), got "10000001"'],
    [['sample', 'x.json', '--steps', '3', '--significant', '0'], '--significant must be an integer in [1, 17], got "0"'],
    [['sample', 'x.json', '--steps', '3', '--significant', '18'], '--significant must be an integer in [1, 17], got "18"'],
    [['sample', 'x.json', '--steps', '3', '--start', '-1'], '--start must be an integer >= 0, got "-1"'],
    [['sample', 'x.json', '--steps', '3', '--every', '0'], '--every must be an integer >= 1, got "0"'],
    [['sample', 'x.json', '--steps', '3', '--width', '5'], '--width must be an integer in [10, 1000], got "5"'],
    [['sample', 'x.json', '--steps', '3', '--height', 'tall'], '--height must be an integer in [2, 200], got "tall"'],
    [['sample', 'x.json', '--steps', '3', '--format', 'xml'], '--format must be one of table, json, csv, got "xml"'],
    [['sample', 'x.json', '--steps', '3', '--steps', '4'], '--steps given twice'],
    [['sample', 'x.json', '--steps', '3', '--ascii=yes'], '--ascii takes no value, got "yes"'],
    [['sample', 'x.json', 'y.json', '--steps', '3'], 'unexpected argument "y.json"'],
    [
      ['sample', 'x.json', '--steps', '3', '--start', '9007199254740990'],
      'the last step --start + (--steps - 1) * --every = 9007199254740992 exceeds 2^53 - 1 (--start 9007199254740990, --steps 3, --every 1)',
    ],
  ];
  it.each(cases)('%j', async (argv, message) => {
    expect(await cli(argv)).toEqual({ code: 2, stdout: '', stderr: `stepsize: ${message}${HINT}` });
  });
});

describe('stepsize: several bad arguments are all reported, one line each, then exit 2', () => {
  const cases: [string[], string[]][] = [
    [
      ['sample', 'x.json', '--steps', '-1', '--format', 'xml', '--bogus'],
      [
        '--steps must be an integer in [1, 10000000], got "-1"',
        '--format must be one of table, json, csv, got "xml"',
        'unknown option "--bogus"',
      ],
    ],
    [
      ['sample', '--bogus', '--ascii=1', '--width', '3', '--width', '40'],
      [
        'unknown option "--bogus"',
        '--ascii takes no value, got "1"',
        '--width must be an integer in [10, 1000], got "3"',
        '--width given twice',
        'sample needs a spec file (a path, or - to read stdin)',
        'sample needs --steps N (how many steps to sample)',
      ],
    ],
    [
      ['sample', 'x.json', '--format'],
      ['--format needs a value', 'sample needs --steps N (how many steps to sample)'],
    ],
    [
      ['sample', 'x.json', 'y.json', '--steps', '99999999', '--every', 'x'],
      [
        '--steps must be at most 10000000 (the most rows stepsize prints), got "99999999"',
        '--every must be an integer >= 1, got "x"',
        'unexpected argument "y.json"',
      ],
    ],
  ];
  it.each(cases)('%j', async (argv, problems) => {
    const lines = problems.map((problem) => `stepsize: ${problem}`);
    expect(await cli(argv)).toEqual({ code: 2, stdout: '', stderr: `${lines.join('\n')}${HINT}` });
  });
});

describe('stepsize sample: spec problems exit 1, prefixed by the file name', () => {
  it('a missing file says so', async () => {
    const path = file('missing.json');
    expect(await cli(['sample', path, '--steps', '3'])).toEqual({ code: 1, stdout: '', stderr: `stepsize: ${path}: no such file\n` });
  });

  it('a directory says so', async () => {
    const path = file('a-directory');
    expect(await cli(['sample', path, '--steps', '3'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `stepsize: ${path}: is a directory, not a file to read\n`,
    });
  });

  it('other read errors carry the system message', async () => {
    const io: CliIO = {
      stdout: memoryOutput(),
      stderr: { write: (chunk: string) => messages.push(chunk) },
      stdin: (async function* () {})(),
      readFile: () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })),
    };
    const messages: string[] = [];
    expect(await run(['sample', 'locked.json', '--steps', '3'], io)).toBe(1);
    expect(messages).toEqual(['stepsize: locked.json: cannot read (EACCES: permission denied)\n']);
  });

  it('invalid JSON says so with the parser message', async () => {
    const result = await cli(['sample', file('broken.json'), '--steps', '3']);
    let parserMessage = '';
    try {
      JSON.parse('{"type": "cosineAnnealing",');
    } catch (error) {
      parserMessage = (error as Error).message;
    }
    expect(result).toEqual({ code: 1, stdout: '', stderr: `stepsize: ${file('broken.json')}: invalid JSON (${parserMessage})\n` });
  });

  it('empty stdin is invalid JSON, named <stdin>', async () => {
    const result = await cli(['sample', '-', '--steps', '3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^stepsize: <stdin>: invalid JSON \(.+\)\n$/);
  });

  it('an invalid option prints the StepsizeError with its JSON path', async () => {
    expect(await cli(['sample', file('bad-steps.json'), '--steps', '3'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `stepsize: ${file('bad-steps.json')}: $.steps must be an integer >= 1, got -3\n`,
    });
  });

  it('a nested problem names the nested path; from stdin the prefix is <stdin>', async () => {
    const result = await cli(['sample', '-', '--steps', '3'], [JSON.stringify({ type: 'warmup', steps: 5, schedule: { type: 'nope' } })]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^stepsize: <stdin>: \$\.schedule\.type is not a known schedule type; known types: .*, got "nope"\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });

  it('a non-object spec is refused', async () => {
    const result = await cli(['sample', '-', '--steps', '3'], ['[1, 2]']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'stepsize: <stdin>: $ must be a schedule spec object { "type": ..., ...options }, got an array of length 2\n',
    );
  });

  it('a value that overflows while sampling is a spec problem', async () => {
    const result = await cli(['sample', file('overflow.json'), '--steps', '3', '--start', '400', '--format', 'csv']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^stepsize: .*overflow\.json: exponential\(400\) produced Infinity/);
  });
});

describe('the built binary (dist/cli/main.js)', () => {
  const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
  const binary = join(packageRoot, 'dist', 'cli', 'main.js');
  const built = existsSync(binary);
  if (!built) console.log(`skipping the end-to-end CLI test: ${binary} does not exist (build with \`pnpm build\`)`);

  /** Runs `node dist/cli/main.js ...args` with `input` on stdin. */
  function exec(args: readonly string[], input: string): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = execFile(process.execPath, [binary, ...args], { cwd: packageRoot }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
        if (code === undefined) reject(error);
        else resolve({ code, stdout, stderr });
      });
      child.stdin?.end(input);
    });
  }

  it('samples a spec from stdin, reports bad arguments, starts with a shebang', async (context) => {
    context.skip(!built, `${binary} does not exist (build with \`pnpm build\`)`);
    expect((await readFile(binary, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);

    const csv = await exec(['sample', '-', '--steps', '11', '--format', 'csv'], COSINE_TEXT);
    expect(csv).toEqual({
      code: 0,
      stdout: `${['step,value', ...COSINE_STEPS.map((t) => `${t},${cosineValue(t)}`)].join('\n')}\n`,
      stderr: '',
    });

    const table = await exec(['sample', '-', '--steps', '30'], COSINE_TEXT);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toBe('cosineAnnealing: 30 steps (0 to 29)');
    expect(table.stdout).toMatch(/[\u2801-\u28ff]/);

    expect(await exec(['sample', '-', '--steps', '0'], COSINE_TEXT)).toEqual({
      code: 2,
      stdout: '',
      stderr: `stepsize: --steps must be an integer in [1, 10000000], got "0"${HINT}`,
    });
    const missing = await exec(['sample', 'no-such-spec.json', '--steps', '3'], '');
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'stepsize: no-such-spec.json: no such file\n' });
    expect(await exec(['sample', '-', '--steps', '2147483647'], COSINE_TEXT)).toEqual({
      code: 2,
      stdout: '',
      stderr: `stepsize: --steps must be at most 10000000 (the most rows stepsize prints), got "2147483647"${HINT}`,
    });
  });

  /** Runs the binary with its stdout on `stdout` (a file descriptor, or a pipe read by `onData`). */
  function spawnBinary(args: readonly string[], stdout: number | 'pipe', onData?: (child: ReturnType<typeof spawn>) => void) {
    return new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [binary, ...args], { cwd: packageRoot, stdio: ['ignore', stdout, 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      onData?.(child);
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal, stderr }));
    });
  }

  it.skipIf(!hasDevFull)('stdout on /dev/full (ENOSPC): one line on stderr, exit 1', async (context) => {
    context.skip(!built, `${binary} does not exist (build with \`pnpm build\`)`);
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [['sample', file('ramp.json'), '--steps', '100000', '--format', 'csv'], ['--help']]) {
        expect(await spawnBinary(args, full)).toEqual({
          code: 1,
          signal: null,
          stderr: 'stepsize: cannot write output: ENOSPC: no space left on device, write\n',
        });
      }
    } finally {
      closeSync(full);
    }
  });

  it('a reader that closes the pipe early (stepsize ... | head -1): no message, exit 0', async (context) => {
    context.skip(!built, `${binary} does not exist (build with \`pnpm build\`)`);
    let received = '';
    const result = await spawnBinary(['sample', file('ramp.json'), '--steps', '1000000', '--format', 'csv'], 'pipe', (child) => {
      child.stdout?.once('data', (chunk: Buffer) => {
        received = chunk.toString();
        child.stdout?.destroy();
      });
    });
    expect(received.startsWith('step,value\n0,0\n')).toBe(true);
    expect(result).toEqual({ code: 0, signal: null, stderr: '' });
  });
});
