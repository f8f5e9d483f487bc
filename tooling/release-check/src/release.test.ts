import { OptimizerRunner, cosineAnnealing, linear, sgd, warmup } from '@stepsize/core';
import { float32Ops, fusedKernels } from '@stepsize/engine';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { beforeAll, describe, expect, it } from 'vitest';
import { packAll, peers, type publicPackages, root } from './pack.js';

const here = dirname(fileURLToPath(import.meta.url));
let tarballs: Record<keyof typeof publicPackages, string>;

beforeAll(() => {
  tarballs = packAll();
});

describe('published packages', () => {
  it('pass publint (every exported file exists, types first, no suggestions)', async () => {
    for (const [folder, tarball] of Object.entries(tarballs)) {
      const data = readFileSync(tarball);
      const { messages } = await publint({
        pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
        level: 'suggestion',
      });
      expect(messages, folder).toEqual([]);
    }
  });

  it('pass arethetypeswrong (node16 from ESM, bundler; require of ESM is allowed on Node >= 20.19)', () => {
    const attw = join(root, 'tooling/release-check/node_modules/.bin/attw');
    for (const [folder, tarball] of Object.entries(tarballs)) {
      // cjs-resolves-to-esm: the packages are ESM-only by design; Node 20.19+ (their engines
      // field) loads them with require(), which the consumer test below checks for real.
      const run = (): string =>
        execFileSync(attw, [tarball, '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'json'], {
          encoding: 'utf8',
        });
      let output: string;
      try {
        output = run();
      } catch (error) {
        throw new Error(
          `arethetypeswrong found problems in ${folder}:\n${(error as { stdout?: string }).stdout ?? (error as Error).message}`,
        );
      }
      // The JSON lists every finding; the exit code already applied the profile. Check the same here:
      // nothing but the allowed kind, nothing outside node10 (which the node16 profile ignores).
      const report = JSON.parse(output) as { analysis?: { problems?: { kind: string; resolutionKind?: string }[] } };
      const problems = (report.analysis?.problems ?? []).filter((p) => p.kind !== 'CJSResolvesToESM' && p.resolutionKind !== 'node10');
      expect(problems, folder).toEqual([]);
    }
  });

  it('install with npm into a fresh project and work with import and with require', () => {
    const project = mkdtempSync(join(tmpdir(), 'stepsize-consumer-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
    // What the onnxruntime README tells npm users: skip the GPU download of onnxruntime-node.
    writeFileSync(join(project, '.npmrc'), 'onnxruntime-node-install=skip\n');
    copyFileSync(join(here, 'consumer/consumer.mjs'), join(project, 'consumer.mjs'));
    copyFileSync(join(here, 'consumer/consumer.cjs'), join(project, 'consumer.cjs'));
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_onnxruntime_node_install: 'skip', NODE_PATH: '' };
    for (const key of Object.keys(env)) if (key.startsWith('npm_package_') || key === 'npm_config_prefix') delete env[key];
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...Object.values(tarballs), ...peers], {
      cwd: project,
      env,
      stdio: 'pipe',
      timeout: 600_000,
    });
    const esm = JSON.parse(
      execFileSync('node', ['consumer.mjs'], { cwd: project, env, encoding: 'utf8', timeout: 300_000 }).trim().split('\n').at(-1) as string,
    ) as {
      resolved: Record<string, string>;
      schedule: number[];
      roundTrip: number;
      tfjs: number;
      onnxruntime: number;
      conformance: string[];
      resumedSteps: number[];
    };
    for (const [name, path] of Object.entries(esm.resolved))
      expect(path.startsWith(project), `${name} resolves inside the consumer project, not the workspace: ${path}`).toBe(true);
    const schedule = warmup({ steps: 2, schedule: cosineAnnealing({ initialValue: 0.05, steps: 8 }) });
    expect(esm.schedule).toEqual([0, 1, 2, 5, 9].map((s) => schedule(s)));
    expect(esm.roundTrip).toBe(esm.schedule[3]);
    expect(esm.tfjs).toBeLessThan(1e-5);
    expect(esm.onnxruntime).toBeLessThan(1e-5);
    expect(esm.conformance).toEqual([]);
    expect(esm.resumedSteps).toEqual([4, 5]);
    // The conformance CLI, as the package README shows it, from the user's project: the real
    // loader resolves each adapter where it was installed (two cases each, to keep it short).
    const fixture = JSON.parse(
      readFileSync(join(project, 'node_modules/@stepsize/conformance/fixtures/pytorch-optimizer-trajectories.json'), 'utf8'),
    ) as {
      cases: unknown[];
    };
    writeFileSync(join(project, 'cases.json'), JSON.stringify({ ...fixture, cases: fixture.cases.slice(0, 2) }));
    for (const backend of ['engine', 'tfjs', 'onnxruntime']) {
      const table = execFileSync('npx', ['stepsize-conformance', '--backend', backend, '--cases', 'cases.json'], {
        cwd: project,
        env,
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(table, backend).toMatch(/2 passed, 0 failed/);
    }
    const cjs = JSON.parse(execFileSync('node', ['consumer.cjs'], { cwd: project, env, encoding: 'utf8' }).trim()) as {
      w: number[];
      exports: Record<string, string>;
    };
    expect(cjs.exports).toEqual({
      core: 'function',
      coreNode: 'function',
      engine: 'function',
      conformance: 'function',
      tfjs: 'function',
      train: 'function',
      onnxruntime: 'function',
    });
    // The same computation with the workspace's packages gives the same numbers.
    const runner = new OptimizerRunner({
      optimizer: sgd({ learningRate: linear({ initialValue: 0.1, endValue: 0.01, steps: 4 }) }),
      ops: float32Ops,
      params: { w: Float32Array.of(1, -2, 3) },
      kernels: fusedKernels,
    });
    for (let step = 0; step < 4; step += 1) runner.step({ w: Float32Array.of(1, 1, -1) });
    expect(cjs.w).toEqual(Array.from(runner.params.w as Float32Array));
    console.log(
      `consumer project ${project}: installed ${Object.keys(tarballs).length} tarballs with npm; import and require work; tfjs vs engine ${esm.tfjs.toExponential(2)}, onnxruntime vs engine ${esm.onnxruntime.toExponential(2)}`,
    );
  });
});
