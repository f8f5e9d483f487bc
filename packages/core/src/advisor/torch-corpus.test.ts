/**
 * The PyTorch corpus (packages/core/fixtures/diagnose-corpus/torch, made by
 * tooling/goldens/torch_diagnose_corpus.py with Debian's python3-torch: `npm run goldens`
 * regenerates it): every run is a well-formed history, and the advisor reads each as the
 * kind its setup made it.
 *
 * The regeneration check is not run here: it trains 21 runs (about 3 minutes on one core),
 * and the chaotic ones (oscillating, diverging) are not bit-stable across CPUs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diagnose } from './diagnose.js';
import type { FindingKind } from './finding.js';

const directory = fileURLToPath(new URL('../../fixtures/diagnose-corpus/torch/', import.meta.url));
const kinds: readonly FindingKind[] = ['diverging', 'oscillating', 'slow', 'plateau', 'overfitting', 'spike', 'healthy'];

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

  /**
   * Runs whose first finding is another kind, and why: iris-plateau-adam's validation loss rose
   * from 0.0046 to 0.011 while the training loss sat flat, which is overfitting too; the plateau
   * is its second finding.
   */
  const firstFinding: Readonly<Record<string, FindingKind>> = { 'iris-plateau-adam.csv': 'overfitting' };
  const diagnosed = new Map<string, FindingKind>();

  it.each(manifest.runs.map((run) => [run.file, run] as const))('diagnose reads %s as the kind it was made to be', (_, run) => {
    const { findings } = diagnose(readFileSync(`${directory}${run.file}`, 'utf8'));
    diagnosed.set(run.file, findings[0]?.kind as FindingKind);
    expect(findings.map((finding) => finding.kind)).toContain(run.kind);
    expect(findings[0]?.kind).toBe(firstFinding[run.file] ?? run.kind);
  });

  it('prints the confusion table (made as, first finding)', () => {
    const width = 12;
    const lines = [`${'made as \\ diagnosed as'.padEnd(width * 2)}${kinds.map((kind) => kind.padStart(width)).join('')}`];
    for (const made of kinds) {
      const runs = manifest.runs.filter((run) => run.kind === made);
      const counts = kinds.map((kind) => runs.filter((run) => diagnosed.get(run.file) === kind).length);
      lines.push(`${made.padEnd(width * 2)}${counts.map((count) => String(count).padStart(width)).join('')}`);
    }
    console.log(lines.join('\n'));
  });
});
