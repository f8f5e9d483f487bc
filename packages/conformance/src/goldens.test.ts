/** The committed optimizer fixture must be exactly what the committed generator produces with the installed PyTorch. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

// Debian 13's torch 2.6 from tooling/torch-fused/install.sh (a chroot: needs root), where installed.
const torchFused = '/usr/local/bin/python3-torch-fused';
const fusedAvailable = existsSync(torchFused) && spawnSync(torchFused, ['-c', 'import torch; torch.optim.Adafactor']).status === 0;

describe('torch.optim.Adafactor fixture', () => {
  it.runIf(fusedAvailable)('is up to date with tooling/goldens/torch_adafactor_trajectories.py (torch 2.6)', () => {
    const result = spawnSync(torchFused, ['tooling/goldens/torch_adafactor_trajectories.py'], {
      cwd: repository,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(readFileSync(`${repository}packages/conformance/fixtures/torch-adafactor-trajectories.json`, 'utf8'));
  });
});
