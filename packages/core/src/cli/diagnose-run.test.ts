import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './run.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stepsize-diagnose-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A history CSV: a loss that barely moves at a constant rate of 1e-5 (what `diagnose` calls slow). */
const SLOW_CSV = `step,loss,valLoss,learningRate,gradientNorm\n${Array.from(
  { length: 200 },
  (_, step) => `${step},${1.1 - 0.0001 * step + 0.01 * Math.sin(step)},${step % 20 === 0 ? 1.15 - 0.0001 * step : ''},0.00001,1`,
).join('\n')}\n`;

async function cli(argv: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const out = new Writable({
    write(chunk, _, done) {
      stdout += String(chunk);
      done();
    },
  });
  const code = await run(argv, {
    stdout: out,
    stderr: { write: (chunk: string) => (stderr += chunk) },
    stdin: (async function* () {
      yield stdin;
    })(),
    readFile: (path) => readFile(path, 'utf8'),
    writeFile: (path, text) => writeFile(path, text, 'utf8'),
  });
  return { code, stdout, stderr };
}

describe('stepsize diagnose', () => {
  it('prints the findings with a chart and writes the HTML report beside the history', async () => {
    const history = join(dir, 'slow.csv');
    await writeFile(history, SLOW_CSV);
    const { code, stdout, stderr } = await cli(['diagnose', history]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`${history}: 200 training losses (steps 0..199), 10 validation losses, learning rates, gradient norms`);
    expect(stdout).toContain('training loss:');
    expect(stdout).toContain('1. slow (high), steps 0..199');
    expect(stdout).toContain('   => Multiply the learning rate by 10 (0.00001 → 0.0001)');
    expect(stdout).toContain('   schedule: {"type":"scale","factor":10,"schedule":{"type":"constant","value":0.00001}}');
    const report = join(dir, 'slow.diagnosis.html');
    expect(stdout).toContain(`report: ${report}`);
    const html = await readFile(report, 'utf8');
    expect(html).toContain('<canvas id="loss"');
    expect(html).toContain('"ranges":[{"from":0,"to":199,"label":"slow"');
    expect(html).toContain('Chart.js'); // the inlined library's banner
  });

  it('prints JSON with --format json, reads stdin, takes the schedule spec and writes no report for stdin', async () => {
    const spec = join(dir, 'lr.json');
    await writeFile(spec, JSON.stringify({ type: 'cosineAnnealing', initialValue: 0.00001, steps: 400 }));
    const { code, stdout } = await cli(['diagnose', '-', '--format', 'json', '--schedule', spec], SLOW_CSV);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { findings: { kind: string; recommendation: { schedule: unknown } }[]; report: unknown };
    expect(parsed.findings[0]?.kind).toBe('slow');
    expect(parsed.findings[0]?.recommendation.schedule).toEqual({
      type: 'scale',
      factor: 10,
      schedule: { type: 'cosineAnnealing', initialValue: 0.00001, steps: 400, minValue: 0, afterEnd: 'hold' },
    });
    expect(parsed.report).toBeNull();
  });

  it('names the file, line and column of a bad history, and writes nothing', async () => {
    const history = join(dir, 'bad.csv');
    await writeFile(history, 'step,loss\n0,1\n1,oops\n');
    const { code, stdout, stderr } = await cli(['diagnose', history]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `stepsize: ${history}: history (CSV) line 3 column loss must be a number (NaN, Infinity and empty are accepted), got "oops"\n`,
    );
    expect(existsSync(join(dir, 'bad.diagnosis.html'))).toBe(false);
  });

  it('reports a missing file, a bad schedule spec and a report that cannot be written on one line each', async () => {
    const missing = await cli(['diagnose', join(dir, 'none.csv')]);
    expect(missing).toMatchObject({ code: 1, stderr: `stepsize: ${join(dir, 'none.csv')}: no such file\n` });
    const history = join(dir, 'ok.csv');
    await writeFile(history, SLOW_CSV);
    const spec = join(dir, 'bad-spec.json');
    await writeFile(spec, '{"type":"cosineAnnealing"}');
    const badSpec = await cli(['diagnose', history, '--schedule', spec, '--no-report']);
    expect(badSpec.code).toBe(1);
    expect(badSpec.stderr).toMatch(new RegExp(`^stepsize: ${spec}: \\$\\.initialValue`));
    const unwritable = await cli(['diagnose', history, '--report', join(dir, 'no-such-dir', 'r.html')]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toMatch(/^stepsize: cannot write the report .*no-such-dir\/r\.html: ENOENT/);
    expect(unwritable.stdout).toBe('');
  });

  it('reports every bad argument', async () => {
    const { code, stderr } = await cli(['diagnose', '--format', 'xml', '--width', '3', '--report', 'a.html', '--no-report', '--bogus']);
    expect(code).toBe(2);
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      'stepsize: --format must be one of text, json, got "xml"',
      'stepsize: --width must be an integer in [10, 1000], got "3"',
      'stepsize: unknown option "--bogus"',
      'stepsize: diagnose needs a history file (CSV or JSON, or - to read stdin)',
      "stepsize: --report and --no-report cannot both be given; run 'stepsize --help' for usage",
    ]);
  });
});
