import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { main } from './main-run.js';
import { createProgress } from './progress.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const lines: string[] = [];
  const progress = createProgress({ isTTY: false } as NodeJS.WriteStream, (line) => lines.push(line));
  return { out, err, lines, io: { log: (l: string) => out.push(l), error: (l: string) => err.push(l), progress } };
}
const folder = () => mkdtempSync(join(tmpdir(), 'stepsize-demo-'));

describe('stepsize-demo', () => {
  it('trains on every backend, prints the table, agrees, and writes a self-contained HTML report', async () => {
    const out = folder();
    const t = io();
    const code = await main(['--steps', '60', '--out', out], t.io);
    const text = t.out.join('\n');
    expect(code, t.err.join('\n')).toBe(0);
    expect(text).toMatch(/backend\s+final loss\s+accuracy\s+steps\/s\s+wall time\s+max diff vs engine/);
    for (const backend of ['engine', 'tfjs', 'onnxruntime'])
      expect(text).toMatch(new RegExp(`^${backend}\\s+\\d\\.\\d{4}\\s+\\d+\\.\\d%`, 'm'));
    expect(text).toMatch(/All backends agree with the engine within 1e-3/);
    expect(t.lines).toContain('tfjs: 60/60 steps');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/Chart\.js v4/); // the library is inlined: no network needed
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('id="learning-rate"');
    expect(html).toMatch(/"label":"onnxruntime"/);
    expect(html).toContain('&#34;cosineAnnealing&#34;');
    expect(html).toContain('&#34;adamW&#34;');
  });

  it('runs a subset of backends with a schedule and optimizer from files', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'schedule.json'), JSON.stringify({ type: 'oneCycle', maxValue: 0.05, totalSteps: 40 }));
    writeFileSync(join(dir, 'optimizer.json'), JSON.stringify({ type: 'sgd', momentum: 0.9, nesterov: true }));
    const t = io();
    const code = await main(
      [
        '--backends',
        'engine,onnxruntime',
        '--steps',
        '40',
        '--schedule',
        join(dir, 'schedule.json'),
        '--optimizer',
        join(dir, 'optimizer.json'),
        '--out',
        dir,
      ],
      t.io,
    );
    expect(code, t.err.join('\n')).toBe(0);
    expect(t.out.join('\n')).not.toMatch(/^tfjs/m);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('&#34;oneCycle&#34;');
  });

  for (const [preset, type] of [
    ['schedule-free', 'scheduleFreeAdamW'],
    ['prodigy', 'prodigy'],
    ['muon', 'muon'],
  ] as const) {
    it(`--optimizer ${preset} trains ${type} on every backend, which agree`, async () => {
      const dir = folder();
      const t = io();
      const code = await main(['--optimizer', preset, '--steps', '60', '--out', dir], t.io);
      expect(code, t.err.join('\n')).toBe(0);
      const report = readFileSync(join(dir, 'report.html'), 'utf8');
      expect(report).toContain(`&#34;${type}&#34;`);
      expect(t.out.join('\n')).toMatch(/^onnxruntime +\d/m);
      expect(t.out.join('\n')).toMatch(/All backends agree/);
    });
  }

  it('trains on MNIST digits (784 inputs, 10 classes) and the backends agree', async () => {
    const out = folder();
    const t = io();
    expect(await main(['--dataset', 'mnist', '--steps', '30', '--out', out], t.io), t.err.join('\n')).toBe(0);
    expect(t.out.join('\n')).toMatch(/MNIST digits .*MLP 784-32-10 \(tanh\), batch 32, 30 steps/);
    expect(t.out.join('\n')).toMatch(/All backends agree/);
  });

  it("bad specs get core's error with the JSON path; bad flags exit 2 with usage", async () => {
    const dir = folder();
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({ type: 'warmup', steps: 10, schedule: { type: 'cosineAnnealing', initialValue: 0.1, steps: -5 } }),
    );
    writeFileSync(join(dir, 'bad-optimizer.json'), JSON.stringify({ type: 'adamW', beta1: 1.5 }));
    writeFileSync(join(dir, 'truncated.json'), '{"type": "warmup", "steps": 10, "sched');
    const cases: [string[], RegExp][] = [
      [['--schedule', join(dir, 'bad.json')], /bad\.json: \$\.schedule\.steps must be an integer >= 1, got -5/],
      [['--optimizer', join(dir, 'bad-optimizer.json')], /bad-optimizer\.json: \$\.beta1 must be/],
      [['--schedule', join(dir, 'truncated.json')], /truncated\.json is not valid JSON/],
      [['--schedule', join(dir, 'missing.json')], /missing\.json does not exist/],
      [['--steps', '0'], /--steps must be an integer >= 1, got "0"/],
      [['--backends', 'engine,pytorch'], /--backends: unknown backend "pytorch"/],
      [['--dataset', 'cifar'], /--dataset must be one of iris, mnist, got "cifar"/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
      [['lr-find', '--smoothing', '1'], /--smoothing must be a number in \[0, 1\), got "1"/],
      [['lr-find', '--min-rate', '1', '--max-rate', '0.1'], /--max-rate must be a number > --min-rate/],
      [['plot'], /plot takes one schedule spec file/],
      [['plot', join(dir, 'bad.json')], /bad\.json: \$\.schedule\.steps must be/],
      [['train'], /unknown command "train"/],
    ];
    for (const [args, message] of cases) {
      const t = io();
      expect(await main([...args, '--out', dir], t.io), args.join(' ')).toBe(2);
      expect(t.err.join('\n'), args.join(' ')).toMatch(message);
    }
  });

  for (const backend of ['engine', 'onnxruntime', 'tfjs']) {
    it(`lr-find on ${backend} suggests rates inside the sweep and writes a plot`, async () => {
      const dir = folder();
      const t = io();
      const code = await main(['lr-find', '--backend', backend, '--steps', '60', '--out', dir], t.io);
      expect(code, t.err.join('\n')).toBe(0);
      const text = t.out.join('\n');
      const [, valley, steepest] = /Suggested learning rate: ([\d.e+-]+) \(valley\), ([\d.e+-]+) \(steepest descent\)/.exec(text) ?? [];
      for (const rate of [Number(valley), Number(steepest)]) {
        expect(rate).toBeGreaterThanOrEqual(1e-5);
        expect(rate).toBeLessThanOrEqual(10);
      }
      expect(readFileSync(join(dir, 'lr-find.svg'), 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      // @stepsize/plot's PNG: the SVG at twice its size, the suggestions marked with their values.
      const svgWidth = Number(/width="(\d+)"/.exec(readFileSync(join(dir, 'lr-find.svg'), 'utf8'))?.[1]);
      expect(PNG.sync.read(readFileSync(join(dir, 'lr-find.png'))).width).toBe(2 * svgWidth);
      expect(readFileSync(join(dir, 'lr-find.svg'), 'utf8')).toMatch(/>valley [0-9.e-]+<\/text>/);
    });
  }

  it('plot renders a schedule to SVG, PNG and the terminal', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ type: 'cyclic', baseValue: 0.001, maxValue: 0.01, stepSizeUp: 20 }));
    const t = io();
    expect(await main(['plot', join(dir, 'spec.json'), '--steps', '100', '--out', dir], t.io)).toBe(0);
    const svg = readFileSync(join(dir, 'schedule.svg'), 'utf8');
    // Vega's SVG: one path of 100 points, axes with their numbers.
    expect(svg).toMatch(/<path d="M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){99}"/);
    expect(svg).toContain('>learning rate</text>');
    const png = readFileSync(join(dir, 'schedule.png'));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const image = PNG.sync.read(png);
    expect(image.width).toBe(2 * Number(/width="(\d+)"/.exec(svg)?.[1]));
    // The curve is drawn: some pixels carry the line colour.
    let blue = 0;
    for (let i = 0; i < image.data.length; i += 4)
      if (image.data[i] === 31 && image.data[i + 1] === 119 && image.data[i + 2] === 180) blue += 1;
    expect(blue).toBeGreaterThan(500);
    expect(t.out.join('\n')).toMatch(/[⡀-⣿]/);
  });
});
