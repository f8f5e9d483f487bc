/**
 * The PyTorch diagnose corpus (packages/core/fixtures/diagnose-corpus/torch): every run the
 * manifest lists is a well-formed history file, and, wherever Debian's python3-torch is
 * present, the committed files are exactly what tooling/goldens/torch_diagnose_corpus.py
 * produces.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../../../../', import.meta.url));
const directory = fileURLToPath(new URL('../../fixtures/diagnose-corpus/torch/', import.meta.url));
const kinds = ['diverging', 'oscillating', 'slow', 'plateau', 'overfitting', 'spike', 'healthy'];
const python = '/usr/bin/python3';
const torchAvailable = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!torchAvailable) {
  console.log(`goldens: skipping the diagnose corpus regeneration check: ${python} cannot import torch (apt-get install python3-torch)`);
}

interface ManifestRun {
  readonly file: string;
  readonly kind: string;
  readonly steps: number;
}

const manifest = JSON.parse(readFileSync(`${directory}manifest.json`, 'utf8')) as { readonly runs: readonly ManifestRun[] };

/** A CSV field: empty for no value, else a decimal number (Python's repr) or NaN / Infinity spelled out. */
function field(text: string): number | undefined {
  if (text === '') return undefined;
  if (!/^(-?\d+(\.\d+)?(e[-+]\d+)?|NaN|-?Infinity)$/.test(text)) throw new Error(`not a number: ${JSON.stringify(text)}`);
  return Number(text);
}

describe('PyTorch diagnose corpus', () => {
  it('covers all seven kinds', () => {
    expect(new Set(manifest.runs.map((run) => run.kind))).toEqual(new Set(kinds));
  });

  it.each(manifest.runs.map((run) => [run.file, run] as const))('%s is a history of one of the seven kinds', (_, run) => {
    expect(kinds).toContain(run.kind);
    const [header, ...lines] = readFileSync(`${directory}${run.file}`, 'utf8').trimEnd().split('\n');
    expect(header).toBe('step,loss,valLoss,learningRate,gradientNorm');
    expect(lines.length).toBe(run.steps);
    const rows = lines.map((line) => line.split(',').map(field));
    expect(rows.map((row) => row[0])).toEqual(Array.from({ length: run.steps }, (_, step) => step));
    // loss, learningRate and gradientNorm on every row; valLoss where evaluated.
    expect(rows.filter((row) => row.length !== 5 || [1, 3, 4].some((index) => row[index] === undefined))).toEqual([]);
    // A run stops at its first non-finite batch loss.
    expect(rows.slice(0, -1).every((row) => Number.isFinite(row[1]))).toBe(true);
    expect(rows.at(-1)?.[2]).not.toBeUndefined();
  });

  it.runIf(torchAvailable)('is up to date with tooling/goldens/torch_diagnose_corpus.py', () => {
    const result = spawnSync(python, ['tooling/goldens/torch_diagnose_corpus.py', '--check'], { cwd: repository, encoding: 'utf8' });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  });
});
