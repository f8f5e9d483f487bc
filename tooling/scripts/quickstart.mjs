#!/usr/bin/env node
// The README's quick start: `npm run demo`, `npm test`, `npm run bench` on a machine
// that has only Node 20 and npm. It gets the pinned pnpm through `npm exec` when no
// suitable pnpm is on PATH, installs the workspace, builds it with turbo, then runs
// the task. `test` checks format and lint (Biome), typechecks, runs every package's tests and
// prints a final "N passed, N failed, N skipped" line summed over every package's vitest JSON
// report; it exits non-zero if anything failed. The tests run on the Node.js that runs this script and
// again on each of EXTRA_NODE_VERSIONS (Node 22 and 24 from the npm registry); the line sums them all.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXTRA_NODE_VERSIONS, nodeBinDirectory } from './runtimes.mjs';

const PNPM_VERSION = '12.21.0';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const task = process.argv[2];
const extra = process.argv.slice(3);
const tasks = new Set(['demo', 'test', 'bench']);
if (!tasks.has(task)) {
  console.error(`quickstart: unknown task ${JSON.stringify(task)}; expected one of demo, test, bench`);
  process.exit(2);
}

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', TURBO_NO_UPDATE_NOTIFIER: '1' };

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function pnpmVersion() {
  const result = spawnSync('pnpm', ['--version'], { cwd: root, env, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

// 1. A pnpm on PATH: re-run this script under `npm exec`, which puts the pinned pnpm on PATH
//    for this process and everything it starts (turbo runs package scripts with it).
if (pnpmVersion() !== PNPM_VERSION) {
  if (process.env.STEPSIZE_QUICKSTART_NESTED) {
    console.error(`quickstart: pnpm ${PNPM_VERSION} is still not on PATH after npm exec`);
    process.exit(1);
  }
  console.log(`quickstart: fetching pnpm ${PNPM_VERSION} with npm exec`);
  const status = run(
    'npm',
    ['exec', '--yes', `--package=pnpm@${PNPM_VERSION}`, '--', 'node', fileURLToPath(import.meta.url), task, ...extra],
    { env: { ...env, STEPSIZE_QUICKSTART_NESTED: '1' } },
  );
  process.exit(status);
}

// 2. Install (frozen lockfile: what CI and a new user get is exactly what is committed).
if (run('pnpm', ['install', '--frozen-lockfile']) !== 0) process.exit(1);

// 3. Build everything the task needs.
if (run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']) !== 0) process.exit(1);

if (task === 'demo') {
  // The demo app: the same model, schedule and optimizer on the engine, tfjs and ONNX Runtime.
  process.exit(run('node', ['apps/demo/dist/main.js', ...extra]));
}

if (task === 'bench') {
  // Every package's bench on this Node (20 on the README's machine), then on the newest of
  // EXTRA_NODE_VERSIONS (24), one after the other (never two at once), then the targets of both
  // side by side (tooling/scripts/bench-report.mjs).
  const folder = join(root, 'bench-results');
  rmSync(folder, { recursive: true, force: true });
  const newest = EXTRA_NODE_VERSIONS[EXTRA_NODE_VERSIONS.length - 1];
  const runs = [{ label: `node ${process.version}`, bin: undefined }];
  const bin = nodeBinDirectory(root, newest, env);
  if (bin === undefined) console.error(`quickstart: Node.js ${newest} could not be installed; the bench runs on ${process.version} only`);
  else runs.push({ label: `node v${newest}`, bin });
  let status = 0;
  for (const { label, bin: directory } of runs) {
    console.log(`quickstart: the benches on ${label}`);
    const path = directory === undefined ? env.PATH : `${directory}:${env.PATH}`;
    const results = join(folder, label.replace(/\s+/g, '-'));
    mkdirSync(results, { recursive: true });
    status ||= run('pnpm', ['exec', 'turbo', 'run', 'bench', '--concurrency=1', ...extra], {
      env: { ...env, PATH: path, STEPSIZE_BENCH_RESULTS: results },
    });
  }
  const pairs = runs.map(({ label }) => `${label}=${label.replace(/\s+/g, '-')}`);
  status ||= run('node', [join(root, 'tooling', 'scripts', 'bench-report.mjs'), folder, ...pairs]);
  process.exit(status);
}

// test: lint and format check, typecheck, then every package's tests on every runtime, then one summary line.
const results = join(root, '.test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
// Biome: the formatter's check and the linter (type-aware rules included); a warning fails too.
const lint = run('pnpm', ['exec', 'biome', 'ci', '--error-on-warnings', '.']);
const typecheck = run('pnpm', ['exec', 'turbo', 'run', 'typecheck', '--output-logs=errors-only']);

/** Every package's tests on the node in `binDirectory` (default: this one); reports go to `.test-results/<label>/`. */
function testOn(label, binDirectory) {
  const directory = join(results, label);
  mkdirSync(directory, { recursive: true });
  const path = binDirectory === undefined ? env.PATH : `${binDirectory}:${env.PATH}`;
  console.log(`quickstart: the tests on ${label}`);
  return run('pnpm', ['exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue', ...extra], {
    env: { ...env, PATH: path, STEPSIZE_TEST_RESULTS: directory },
  });
}

const runtimes = [{ label: `node ${process.version}`, status: testOn(`node ${process.version}`) }];
for (const version of EXTRA_NODE_VERSIONS) {
  const bin = nodeBinDirectory(root, version, env);
  runtimes.push({ label: `node v${version}`, status: bin === undefined ? 1 : testOn(`node v${version}`, bin), missing: bin === undefined });
}
const tests = runtimes.every((r) => r.status === 0) ? 0 : 1;

let passed = 0;
let failed = 0;
let skipped = 0;
let reportCount = 0;
for (const runtime of runtimes) {
  const directory = join(results, runtime.label);
  const reports = existsSync(directory) ? readdirSync(directory).filter((f) => f.endsWith('.json')) : [];
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const file of reports) {
    const report = JSON.parse(readFileSync(join(directory, file), 'utf8'));
    counts.passed += report.numPassedTests ?? 0;
    counts.failed += report.numFailedTests ?? 0;
    counts.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    if (report.success === false && (report.numFailedTests ?? 0) === 0) counts.failed += 1; // a suite that failed to load
  }
  if (runtime.missing) counts.failed += 1;
  else if (reports.length === 0) {
    console.error(`quickstart: no test report was written on ${runtime.label}`);
    counts.failed += 1;
  } else if (runtime.status !== 0 && counts.failed === 0) {
    console.error(`quickstart: a test task failed without a report on ${runtime.label}`);
    counts.failed += 1;
  }
  console.log(`${runtime.label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  passed += counts.passed;
  failed += counts.failed;
  skipped += counts.skipped;
  reportCount += reports.length;
}
if (lint !== 0) {
  console.error('quickstart: lint or format check failed (pnpm exec biome check --write . fixes the format)');
  failed += 1;
}
if (typecheck !== 0) {
  console.error('quickstart: typecheck failed');
  failed += 1;
}
if (reportCount === 0) {
  console.error('quickstart: no test report was written');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && tests === 0 && typecheck === 0 && lint === 0 ? 0 : 1);
