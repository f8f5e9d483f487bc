/**
 * The committed PyTorch fixture must be exactly what the committed generator
 * produces with the installed PyTorch: regenerating it is part of the suite
 * wherever Debian's python3-torch is present (CI installs it).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../../../../', import.meta.url));
const python = '/usr/bin/python3';
const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
const torchAvailable = probe.status === 0;
if (!torchAvailable) {
  console.log(`goldens: skipping the regeneration check: ${python} cannot import torch (apt-get install python3-torch)`);
}

describe('PyTorch golden fixture', () => {
  it.runIf(torchAvailable)('is up to date with tooling/goldens/pytorch_schedules.py', () => {
    const result = spawnSync(python, ['tooling/goldens/pytorch_schedules.py', '--check'], {
      cwd: repository,
      encoding: 'utf8',
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  });
});
