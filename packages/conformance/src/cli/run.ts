import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StepsizeError } from '@stepsize/core';
import { readConformanceFile, type ConformanceFile } from '../cases.js';
import { pytorchOptimizerCases } from '../fixtures.js';
import { formatResults, runSuite, type AnyConformanceBackend } from '../runner.js';
import { torchConformanceFile, type TorchOptimizerFixture } from '../torch.js';

/** Short backend names and the package that exports `conformanceBackend`. */
export const BACKEND_PACKAGES: Readonly<Record<string, string>> = {
  engine: '@stepsize/engine',
  tfjs: '@stepsize/tfjs',
  onnxruntime: '@stepsize/onnxruntime',
};

/** What the CLI reads and writes (injected for tests). */
export interface CliIO {
  readonly cwd: string;
  readonly readFile: (path: string) => string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Loads a module by specifier (package name or file path), resolved from `cwd`. */
  readonly load?: (specifier: string, cwd: string) => Promise<Record<string, unknown>>;
}

export const HELP = `stepsize-conformance: certify a stepsize backend against golden optimizer trajectories

usage: stepsize-conformance --backend <name|module> [--cases <file.json|pytorch>]

  --backend  engine, tfjs, onnxruntime (the @stepsize package of that name), or a path or
             package whose module exports \`conformanceBackend\`
  --cases    a case file in the stepsize-conformance/1 format (see the package README), a
             PyTorch fixture written by tooling/goldens/torch_optimizer_trajectories.py,
             or "pytorch" (default): the golden PyTorch trajectories shipped in this package

Prints a per-case pass/fail table with the largest relative error; exits 1 on any failure,
2 on bad arguments.`;

/** Imports a backend module: a path relative to `cwd`, or a package installed where the CLI runs (resolved from `cwd`). */
async function defaultLoad(specifier: string, cwd: string): Promise<Record<string, unknown>> {
  const local = specifier.startsWith('.') || isAbsolute(specifier);
  let path: string;
  try {
    path = local ? resolve(cwd, specifier) : createRequire(join(cwd, 'package.json')).resolve(specifier);
  } catch (error) {
    throw new Error(`${specifier} is not installed in ${cwd} (npm install ${specifier}): ${(error as Error).message.split('\n')[0]}`);
  }
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

function parse(argv: readonly string[]): { backend?: string; cases: string; help: boolean } {
  const out: { backend?: string; cases: string; help: boolean } = { cases: 'pytorch', help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') out.help = true;
    else if (arg === '--backend' || arg === '--cases') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new Error(`${arg} needs a value`);
      if (arg === '--backend') out.backend = value;
      else out.cases = value;
      i += 1;
    } else throw new Error(`unknown argument ${JSON.stringify(arg)}`);
  }
  return out;
}

function loadCases(cases: string, io: CliIO): ConformanceFile {
  if (cases === 'pytorch') return pytorchOptimizerCases();
  let json: unknown;
  try {
    json = JSON.parse(io.readFile(resolve(io.cwd, cases)));
  } catch (error) {
    throw new Error(`--cases ${cases}: ${(error as Error).message}`);
  }
  const fixture = json as Partial<TorchOptimizerFixture>;
  if (Array.isArray(fixture.cases) && typeof fixture.torchVersion === 'string')
    return torchConformanceFile(fixture as TorchOptimizerFixture);
  return readConformanceFile(json);
}

/** Runs the CLI; returns the exit code. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.stderr(`stepsize-conformance: ${(error as Error).message}; run 'stepsize-conformance --help' for usage`);
    return 2;
  }
  if (args.help) {
    io.stdout(HELP);
    return 0;
  }
  if (args.backend === undefined) {
    io.stderr(
      `stepsize-conformance: --backend is required (${Object.keys(BACKEND_PACKAGES).join(', ')} or a module path); run 'stepsize-conformance --help' for usage`,
    );
    return 2;
  }
  const specifier = BACKEND_PACKAGES[args.backend] ?? args.backend;
  let backend: AnyConformanceBackend;
  try {
    const module = await (io.load ?? defaultLoad)(specifier, io.cwd);
    const candidate = module.conformanceBackend as AnyConformanceBackend | undefined;
    const usable = candidate && typeof candidate === 'object' && ('createStepper' in candidate || 'ops' in candidate);
    if (!usable) throw new Error(`${specifier} does not export a conformanceBackend`);
    await candidate.prepare?.();
    backend = candidate;
  } catch (error) {
    io.stderr(`stepsize-conformance: --backend ${args.backend}: cannot load ${specifier}: ${(error as Error).message}`);
    return 2;
  }
  let file: ConformanceFile;
  try {
    file = loadCases(args.cases, io);
  } catch (error) {
    const message = error instanceof StepsizeError ? `${args.cases}: ${error.message}` : (error as Error).message;
    io.stderr(`stepsize-conformance: ${message}`);
    return 2;
  }
  const results = await runSuite(backend, file);
  io.stdout(formatResults(backend.name, results));
  return results.every((r) => r.passed) ? 0 : 1;
}
