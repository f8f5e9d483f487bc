import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'packages/conformance/dist/cli/main.js');

/** Three of the PyTorch cases, as a smaller case file (the whole suite runs in each adapter's tests). */
function cases(): string {
  const path = createRequire(import.meta.url).resolve('@stepsize/conformance/fixtures/pytorch-optimizer-trajectories.json');
  const fixture = JSON.parse(readFileSync(path, 'utf8')) as { cases: unknown[] };
  const file = join(mkdtempSync(join(tmpdir(), 'stepsize-cli-')), 'cases.json');
  writeFileSync(file, JSON.stringify({ ...fixture, cases: fixture.cases.slice(0, 3) }));
  return file;
}

describe('stepsize-conformance --backend engine|tfjs|onnxruntime from the repository root (the real loader)', () => {
  const file = cases();
  for (const backend of ['engine', 'tfjs', 'onnxruntime']) {
    it(backend, () => {
      const output = execFileSync('node', [cli, '--backend', backend, '--cases', file], { cwd: root, encoding: 'utf8' });
      expect(output).toMatch(new RegExp(`conformance: backend ${backend}.*, 3 cases`));
      expect(output).toMatch(/3 passed, 0 failed/);
    });
  }

  it('names the package to install when the backend is not installed where it runs', () => {
    const empty = mkdtempSync(join(tmpdir(), 'stepsize-cli-'));
    writeFileSync(join(empty, 'package.json'), '{}');
    let message = '';
    try {
      // pnpm puts its store on NODE_PATH for the scripts it runs; a user's shell has no such path.
      execFileSync('node', [cli, '--backend', 'tfjs'], {
        cwd: empty,
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, NODE_PATH: '' },
      });
    } catch (error) {
      message = (error as { stderr: string }).stderr;
    }
    expect(message).toMatch(
      /--backend tfjs: cannot load @stepsize\/tfjs: @stepsize\/tfjs is not installed in .* \(npm install @stepsize\/tfjs\)/,
    );
  });
});
