import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script of the repository's tooling (no types)
import { formatValue, readTargets, report, targetRow } from '../../scripts/bench-report.mjs';

const script = new URL('../../scripts/bench-report.mjs', import.meta.url).pathname;

describe('bench-report (the targets table of npm run bench)', () => {
  it('puts each runtime side by side, with n/a for what one of them did not measure', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const write = (sub: string, file: string, targets: unknown[]): void => {
      mkdirSync(join(folder, sub), { recursive: true });
      writeFileSync(join(folder, sub, file), JSON.stringify({ targets }));
    };
    const adam = { id: 'adam', measure: 'adam / limit', comparison: '>=', target: 0.9, unit: '%' };
    write('old', 'engine.json', [{ ...adam, value: 0.5, met: false }]);
    write('new', 'engine.json', [{ ...adam, value: 0.95, met: true }]);
    write('new', 'training.json', [
      { id: 'mlp', measure: 'mlp step', comparison: '<=', target: 1.5, unit: 'x', value: 1.2, met: true, note: 'n' },
    ]);
    const result = spawnSync(process.execPath, [script, folder, 'node 20=old', 'node 24=new'], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/adam \/ limit\s+>= 90%\s+50\.0% NO\s+95\.0% yes/);
    expect(result.stdout).toMatch(/mlp step\s+<= 1\.5x\s+- n\/a\s+1\.20x yes/);
    expect(result.stdout).toMatch(/node 20: 0 of 2 targets met; node 24: 2 of 2 targets met/);
    const saved = JSON.parse(readFileSync(join(folder, 'report.json'), 'utf8'));
    expect(saved.runtimes).toEqual(['node 20', 'node 24']);
    expect(saved.rows.map((row: { id: string }) => row.id)).toEqual(['adam', 'mlp']);
  });

  it('formats ratios, shares and bytes, and reads nothing from a missing folder', () => {
    expect([formatValue('x', 1.234), formatValue('%', 0.1234), formatValue('B', 8), formatValue('x', undefined)]).toEqual([
      '1.23x',
      '12.3%',
      '8.0 B',
      '-',
    ]);
    expect(readTargets('/nonexistent/folder')).toEqual([]);
    expect(report([{ label: 'a', targets: [] }]).rows).toEqual([]);
  });

  it('marks a target met by its comparison, and leaves it undecided when it was not measured', () => {
    const at = { id: 'x', measure: 'x', target: 1.5, unit: 'x' };
    expect(targetRow({ ...at, comparison: '>=', value: 1.5 }).met).toBe(true);
    expect(targetRow({ ...at, comparison: '>=', value: 1.49 }).met).toBe(false);
    expect(targetRow({ ...at, comparison: '<=', value: 1.51 }).met).toBe(false);
    expect(targetRow({ ...at, comparison: '<=', value: 1.2 }).met).toBe(true);
    expect(targetRow({ ...at, comparison: '<=', value: undefined }).met).toBeUndefined();
  });

  it('refuses to run without a folder and a runtime', () => {
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage: bench-report\.mjs/);
  });
});
