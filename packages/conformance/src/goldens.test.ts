/** The committed optimizer fixture must be exactly what the committed generator produces with the installed PyTorch. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../../../', import.meta.url));
const torchAvailable = spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0;
if (!torchAvailable)
  console.log('goldens: skipping the optimizer regeneration check: /usr/bin/python3 cannot import torch (apt-get install python3-torch)');

describe('PyTorch optimizer fixture', () => {
  it.runIf(torchAvailable)('is up to date with tooling/goldens/torch_optimizer_trajectories.py', () => {
    const result = spawnSync('/usr/bin/python3', ['tooling/goldens/torch_optimizer_trajectories.py', '--check'], {
      cwd: repository,
      encoding: 'utf8',
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  });
});
