import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELP_TEXT } from './help.js';
import { run, type CliIO } from './run.js';

/** Cosine annealing from 1 to 0.1 over 10 steps, sampled at steps 0..10. */
const COSINE_SPEC = { type: 'cosineAnnealing', initialValue: 1, steps: 10, minValue: 0.1 };
const COSINE_TEXT = JSON.stringify(COSINE_SPEC);
/** The formula, computed independently of the library. */
const cosineValue = (t: number): number => 0.1 + ((1 - 0.1) * (1 + Math.cos((Math.PI * t) / 10))) / 2;
const COSINE_STEPS = Array.from({ length: 11 }, (_, t) => t);
const COSINE_VALUES = COSINE_STEPS.map(cosineValue);

const HINT = "; run 'stepsize --help' for usage\n";

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
  await writeFile(file('ramp.json'), JSON.stringify({ type: 'linear', initialValue: 0, endValue: 1, steps: 99 }));
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

/** Runs the CLI in-process with real file reads and `stdin` given as chunks. */
async function cli(argv: readonly string[], stdin: readonly (string | Uint8Array)[] = []): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    stdin: (async function* () {
      yield* stdin;
    })(),
    readFile: (path) => readFile(path, 'utf8'),
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
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
    for (const flag of ['--steps', '--start', '--every', '--format', '--no-chart', '--width', '--height', '--ascii', '--all']) {
      expect(HELP_TEXT).toContain(flag);
    }
  });
});

describe('stepsize: bad arguments exit 2 with one line naming the argument and the value', () => {
  const cases: [string[], string][] = [
    [[], 'missing command (try: stepsize sample <spec.json|-> --steps N)'],
    [['plot'], 'unknown command "plot"'],
    [['--bogus'], 'unknown option "--bogus"'],
    [['sample', 'x.json', '--steps', '3', '--bogus'], 'unknown option "--bogus"'],
    [['sample', 'x.json', '--steps', '3', '-q'], 'unknown option "-q"'],
    [['sample', 'x.json', '--steps', '3', '--colour=red'], 'unknown option "--colour"'],
    [['sample', '--steps', '3'], 'sample needs a spec file (a path, or - to read stdin)'],
    [['sample', 'x.json'], 'sample needs --steps N (how many steps to sample)'],
    [['sample', 'x.json', '--steps'], '--steps needs a value'],
    [['sample', 'x.json', '--steps', '--all'], '--steps needs a value'],
    [['sample', 'x.json', '--format'], '--format needs a value'],
    [['sample', 'x.json', '--steps', '0'], '--steps must be an integer in [1, 2147483647], got "0"'],
    [['sample', 'x.json', '--steps', 'abc'], '--steps must be an integer in [1, 2147483647], got "abc"'],
    [['sample', 'x.json', '--steps', '2.5'], '--steps must be an integer in [1, 2147483647], got "2.5"'],
    [['sample', 'x.json', '--steps', '-4'], '--steps must be an integer in [1, 2147483647], got "-4"'],
    [['sample', 'x.json', '--steps', '1e3'], '--steps must be an integer in [1, 2147483647], got "1e3"'],
    [['sample', 'x.json', '--steps='], '--steps must be an integer in [1, 2147483647], got ""'],
    [['sample', 'x.json', '--steps', '3000000000'], '--steps must be an integer in [1, 2147483647], got "3000000000"'],
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
      stderr: `stepsize: ${path}: is a directory, not a spec file\n`,
    });
  });

  it('other read errors carry the system message', async () => {
    const io: CliIO = {
      stdout: { write: () => true },
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
      stderr: `stepsize: --steps must be an integer in [1, 2147483647], got "0"${HINT}`,
    });
    const missing = await exec(['sample', 'no-such-spec.json', '--steps', '3'], '');
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'stepsize: no-such-spec.json: no such file\n' });
  });
});
