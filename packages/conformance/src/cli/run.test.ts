import { describe, expect, it } from 'vitest';
import { run, type CliIO } from './run.js';

function io(
  files: Record<string, string> = {},
  modules: Record<string, Record<string, unknown>> = {},
): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    cwd: '/work',
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
      return text;
    },
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    load: async (specifier) => {
      const module = modules[specifier];
      if (!module) throw new Error(`Cannot find module '${specifier}'`);
      return module;
    },
    out,
    err,
  };
}

describe('stepsize-conformance CLI', () => {
  it('refuses bad arguments with exit code 2', async () => {
    const a = io();
    expect(await run(['--cases'], a)).toBe(2);
    expect(a.err[0]).toMatch(/--cases needs a value/);
    const b = io();
    expect(await run(['--bogus'], b)).toBe(2);
    expect(b.err[0]).toMatch(/unknown argument "--bogus"/);
    const c = io();
    expect(await run([], c)).toBe(2);
    expect(c.err[0]).toMatch(/--backend is required/);
    const d = io();
    expect(await run(['--backend', 'tfjs'], d)).toBe(2);
    expect(d.err[0]).toMatch(/cannot load @stepsize\/tfjs: Cannot find module/);
  });

  it('reports an invalid case file with its JSON path', async () => {
    const files = { '/work/cases.json': JSON.stringify({ format: 'stepsize-conformance/1', cases: [{ name: 'x' }] }) };
    const stub = { conformanceBackend: { name: 'stub', ops: {} } };
    const a = io(files, { './stub.js': stub });
    expect(await run(['--backend', './stub.js', '--cases', 'cases.json'], a)).toBe(2);
    expect(a.err[0]).toMatch(/cases\.json: \$\.cases\[0\]\.optimizer must be a stepsize optimizer spec object/);
  });
});
