import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every test here trains: generous timeouts, so that none depends on the machine's speed.
const TRAINS = { timeout: 300_000 };
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'packages/core/dist/cli/main.js');
const stepsize = (args: readonly string[], cwd = root): string =>
  execFileSync('node', [cli, ...args], { cwd, encoding: 'utf8', stdio: 'pipe' });

interface JsonResult {
  learningRates: number[];
  smoothedLosses: number[];
  stopReason: string;
  suggestion: { learningRate: number; index: number } | undefined;
}

describe('stepsize lr-find from the repository root (the real adapters and @stepsize/plot)', () => {
  it('runs the iris range test on the engine, tfjs and ONNX Runtime, and their curves agree', TRAINS, () => {
    const runs = ['engine', 'tfjs', 'onnxruntime'].map((backend) => {
      const output = stepsize(['lr-find', '--dataset', 'iris', '--backend', backend, '--steps', '60', '--format', 'json']);
      return JSON.parse(output) as JsonResult;
    });
    for (const run of runs) {
      expect(run.learningRates).toHaveLength(60);
      expect(run.suggestion?.learningRate).toBeGreaterThan(1e-4);
    }
    const [engine, ...others] = runs as [JsonResult, ...JsonResult[]];
    for (const other of others) {
      other.smoothedLosses.slice(0, 50).forEach((loss, i) => {
        expect(Math.abs(loss - (engine.smoothedLosses[i] as number))).toBeLessThan(
          1e-4 * Math.abs(engine.smoothedLosses[i] as number) + 1e-6,
        );
      });
    }
  });

  it('runs on the demo digits (the mnist package) on the engine', TRAINS, () => {
    const output = stepsize(['lr-find', '--dataset', 'mnist', '--steps', '40', '--no-chart']);
    expect(output).toMatch(
      /^lr-find: MNIST \(1000 digits, 28x28 pixels, 10 classes\), MLP 784-32-10 \(tanh\) on engine; adamW, batch 32, seed 0/,
    );
    expect(output).toMatch(/valley {2}[0-9.e-]+ \(update \d+\)/);
  });

  it("runs a user's ONNX training model on a CSV file and writes the plot as PNG and SVG", TRAINS, () => {
    const folder = mkdtempSync(join(tmpdir(), 'stepsize-lr-find-'));
    const fixture = JSON.parse(readFileSync(join(root, 'packages/onnxruntime/fixtures/torch-mlp-training.json'), 'utf8')) as {
      params: unknown;
    };
    writeFileSync(join(folder, 'params.json'), JSON.stringify(fixture.params));
    let csv = 'x0,x1,x2,label\n';
    for (let i = 0; i < 200; i += 1) {
      const [a, b, c] = [Math.sin(i * 1.3), Math.cos(i * 0.7), Math.sin(i * 0.31)];
      csv += `${a},${b},${c},${a + b > 0 ? 1 : 0}\n`;
    }
    writeFileSync(join(folder, 'examples.csv'), csv);
    const model = join(root, 'packages/onnxruntime/fixtures/torch-mlp-training.onnx');
    const args = ['lr-find', '--model', model, '--params', 'params.json', '--data', 'examples.csv', '--steps', '80'];
    const text = stepsize([...args, '--plot', 'lr-find.png'], folder);
    expect(text).toMatch(/torch-mlp-training\.onnx on onnxruntime \(update graph\), 200 examples from examples\.csv/);
    expect(text).toMatch(/valley {2}[0-9.e-]+ \(update \d+\) {3}<- the default/);
    expect(text).toMatch(/plot written to lr-find\.png/);
    expect(readFileSync(join(folder, 'lr-find.png')).subarray(1, 4).toString()).toBe('PNG');
    stepsize([...args, '--plot', 'lr-find.svg', '--no-chart'], folder);
    expect(readFileSync(join(folder, 'lr-find.svg'), 'utf8')).toMatch(/>valley [0-9.e-]+<\/text>/);
  });
});
