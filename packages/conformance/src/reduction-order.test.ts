/**
 * The learning-rate-free residual is XLA's sum order and nothing else:
 * tooling/goldens/optax_reduction_order.py models optax's Prodigy and D-Adaptation in float32 and
 * reproduces the reference trajectories bit for bit with XLA's order, and stepsize's numbers
 * with stepsize's (float64 sums rounded once).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../../../', import.meta.url));
const numpyAvailable = spawnSync('/usr/bin/python3', ['-c', 'import numpy']).status === 0;
if (!numpyAvailable) console.log('reduction order: skipping: /usr/bin/python3 cannot import numpy (apt-get install python3-numpy)');

describe('Prodigy and D-Adaptation against optax: the sums decide', () => {
  it.runIf(numpyAvailable)(
    'XLA-order sums reproduce optax over all 60 updates; float64 sums give the residual of ESTIMATE_TOLERANCE',
    () => {
      const result = spawnSync('/usr/bin/python3', ['tooling/goldens/optax_reduction_order.py'], { cwd: repository, encoding: 'utf8' });
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toEqual([
        expect.stringMatching(/^prodigy +xla +sums: 60 of 60 updates bit for bit, worst relative error 0\.00e\+00$/),
        expect.stringMatching(/^prodigy +exact +sums: \d+ of 60 updates bit for bit, worst relative error [0-9.]+e-05$/),
        expect.stringMatching(/^dadapt_adamw +xla +sums: 60 of 60 updates bit for bit, worst relative error 0\.00e\+00$/),
        expect.stringMatching(/^dadapt_adamw +exact +sums: \d+ of 60 updates bit for bit, worst relative error [0-9.]+e-05$/),
      ]);
    },
  );
});
