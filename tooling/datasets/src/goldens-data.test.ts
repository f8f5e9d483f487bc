/** The datasets PyTorch trains on in tooling/goldens/data must be exactly what this package produces. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../../../', import.meta.url));

describe('tooling/goldens/data', () => {
  it('is up to date with tooling/goldens/export_datasets.mjs (run after the build)', () => {
    const result = spawnSync(process.execPath, ['tooling/goldens/export_datasets.mjs', '--check'], { cwd: repository, encoding: 'utf8' });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  });
});
