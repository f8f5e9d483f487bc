// The browser entry (index.browser.ts, the `browser` and `default` export conditions): the same
// exports as the Node entry, nothing of Node in what it imports, and createFastKernels on the
// calling thread with the same results. Bundling it for real and running it in Chromium is
// tooling/release-check's job (src/bundle.test.ts).
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adam, OptimizerRunner, sgd } from '@stepsize/core';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as browserEntry from './index.browser.js';
import * as nodeEntry from './index.js';
import { fusedKernels } from './kernels.js';
import { float32Ops } from './ops.js';
import { fastKernelsSupported } from './wasm/fast-kernels.js';

const here = dirname(fileURLToPath(import.meta.url));
const printer = ts.createPrinter({ removeComments: true });

/** The source files that `entry` imports, itself included, following relative imports. */
function importGraph(entry: string): Map<string, { code: string; imports: string[] }> {
  const files = new Map<string, { code: string; imports: string[] }>();
  const pending = [resolve(here, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    const imports = ts.preProcessFile(source, true, true).importedFiles.map((reference) => reference.fileName);
    // The code without its comments (which may name Node modules to explain what is not imported).
    const code = printer.printFile(ts.createSourceFile(file, source, ts.ScriptTarget.ES2022));
    files.set(file, { code, imports });
    for (const name of imports) if (name.startsWith('.')) pending.push(resolve(dirname(file), name.replace(/\.js$/, '.ts')));
  }
  return files;
}

describe('the browser entry', () => {
  it('exports what the Node entry exports, of the same kinds', () => {
    const kinds = (entry: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(entry).map(([name, value]) => [name, typeof value]));
    expect(kinds(browserEntry)).toEqual(kinds(nodeEntry));
    expect(Object.keys(browserEntry).length).toBeGreaterThan(10);
    // Everything but createFastKernels is the very same object.
    for (const [name, value] of Object.entries(nodeEntry))
      if (name !== 'createFastKernels') expect((browserEntry as Record<string, unknown>)[name], name).toBe(value);
    expect(browserEntry.createFastKernels).not.toBe(nodeEntry.createFastKernels);
  });

  it('imports nothing of Node (no node: module, no bare built-in, no process, no require)', () => {
    const graph = importGraph('index.browser.ts');
    const names = [...graph.keys()].map((file) => relative(here, file));
    expect(names).toContain('wasm/create-fast-kernels.browser.ts');
    expect(names).not.toContain('wasm/create-fast-kernels.node.ts');
    for (const [file, { code, imports }] of graph) {
      const at = relative(here, file);
      expect(
        imports.filter((name) => !name.startsWith('.') && name !== '@stepsize/core'),
        `${at} imports only relative files and @stepsize/core`,
      ).toEqual([]);
      expect(code, at).not.toMatch(/node:/);
      expect(code, at).not.toMatch(/\b(process|require|Buffer|__dirname|__filename)\b/);
    }
    // The Node entry is where the worker threads are.
    const nodeImports = [...importGraph('index.ts').values()].flatMap((file) => file.imports);
    expect(nodeImports).toEqual(expect.arrayContaining(['node:os', 'node:worker_threads']));
  });

  it('is what package.json gives browsers and unknown runtimes; Node gets the Node entry; one set of types', () => {
    const manifest = JSON.parse(readFileSync(join(here, '../package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    const root = manifest.exports['.'] as Record<string, string>;
    expect(Object.keys(root)).toEqual(['types', 'browser', 'node', 'default']);
    expect(root).toEqual({
      types: './dist/index.d.ts',
      browser: './dist/index.browser.js',
      node: './dist/index.js',
      default: './dist/index.browser.js',
    });
  });

  it.skipIf(!fastKernelsSupported())(
    'createFastKernels runs on the calling thread, bit for bit equal to the reference kernels',
    async () => {
      for (const options of [{}, { threads: 4 }, { fixedMemoryBytes: 1 << 20 }, { threads: 1, minResidentLength: 1 }]) {
        const fast = await browserEntry.createFastKernels(options);
        try {
          expect(fast.threads, JSON.stringify(options)).toBe(1);
          expect(fast.simd).toBe(true);
          expect(fast.fixedMemory).toBe('fixedMemoryBytes' in options);
          for (const make of [() => adam({ learningRate: 0.01 }), () => sgd({ learningRate: 0.05, momentum: 0.9 })]) {
            const initial = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i));
            const w = fast.from(initial);
            const runner = new OptimizerRunner({ optimizer: make(), ops: fast.ops, params: { w }, kernels: fast.kernels });
            const reference = new OptimizerRunner({
              optimizer: make(),
              ops: float32Ops,
              params: { w: Float32Array.from(initial) },
              kernels: fusedKernels,
            });
            for (let step = 0; step < 3; step += 1) {
              const gradient = Float32Array.from({ length: 1001 }, (_, i) => Math.cos(i * (step + 1)));
              runner.step({ w: gradient });
              reference.step({ w: gradient });
            }
            expect(fast.isResident(runner.params.w as Float32Array)).toBe(true);
            expect(Array.from(runner.params.w as Float32Array)).toEqual(Array.from(reference.params.w as Float32Array));
          }
        } finally {
          await fast.close();
        }
      }
      // The same checks as in Node.
      await expect(browserEntry.createFastKernels({ fixedMemoryBytes: 1024, threads: 2 })).rejects.toThrow(
        /options.threads must be 1 with fixedMemoryBytes .* got 2/,
      );
    },
  );
});
