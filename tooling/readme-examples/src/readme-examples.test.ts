// Every code block of every README is a test, run against the built packages: TypeScript
// blocks are type-checked together (as a user's strict project would) and each one runs as
// a program; shell blocks run line by line under the rules of shell-policy.ts; a JSON block
// whose fence names a file ("```json spec.json") is written there for the shell blocks.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type CodeBlock, codeBlocks } from './extract.js';
import { shellStep, workspacePackages } from './shell-policy.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');
const root = join(packageDir, '..', '..');
const work = join(packageDir, '.blocks');
const packages = workspacePackages(root);

const readmes = ['README.md', ...[...packages.values()].map((dir) => join(dir, 'README.md'))].filter((file) =>
  existsSync(join(root, file)),
);
const blocks = readmes.flatMap((file) => codeBlocks(file, readFileSync(join(root, file), 'utf8')));
const slug = (block: CodeBlock): string => `${block.file.replace(/\/README\.md$|\.md$/, '').replace(/[^a-z0-9]+/gi, '-')}-L${block.line}`;
const where = (block: CodeBlock): string => `${block.file}:${block.line}`;
const KNOWN = new Set(['ts', 'sh', 'json', 'text']);

rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'ts'), { recursive: true });
const tsBlocks = blocks.filter((block) => block.language === 'ts');
const files = new Map(tsBlocks.map((block) => [block, join(work, 'ts', `${slug(block)}.mts`)]));
for (const [block, file] of files) writeFileSync(file, block.code);

/** Runs a command line in bash; the output is kept for the failure message. */
function run(command: string, cwd: string): { status: number | null; output: string } {
  const result = spawnSync('bash', ['-o', 'pipefail', '-c', command], {
    cwd,
    encoding: 'utf8',
    timeout: 540_000,
    env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}${result.error ? String(result.error) : ''}` };
}

describe('README code blocks', () => {
  it('are all of a language the test knows (ts, sh, json, text)', () => {
    expect(blocks.length).toBeGreaterThan(20);
    expect(blocks.filter((block) => !KNOWN.has(block.language)).map(where), 'give every fence a language').toEqual([]);
  });

  it('type-check as TypeScript in a strict project', () => {
    const program = ts.createProgram([...files.values()], {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      skipLibCheck: true,
      noEmit: true,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (!diagnostic.file || diagnostic.start === undefined) return text;
      const block = [...files].find(([, file]) => file === diagnostic.file?.fileName)?.[0];
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      return `${block ? `${block.file}:${block.line + 1 + line}` : diagnostic.file.fileName}: ${text}`;
    });
    expect(problems.join('\n')).toBe('');
  });

  for (const block of tsBlocks) {
    it(`runs ${where(block)} (TypeScript)`, () => {
      const source = files.get(block) as string;
      const program = source.replace(/\.mts$/, '.mjs');
      const { outputText } = ts.transpileModule(block.code, {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false },
        fileName: source,
      });
      writeFileSync(program, outputText);
      const cwd = join(work, `run-${slug(block)}`);
      mkdirSync(cwd, { recursive: true });
      const { status, output } = run(`node ${JSON.stringify(program)}`, cwd);
      expect(status, `${where(block)} exited ${status}:\n${output}`).toBe(0);
    });
  }

  for (const block of blocks.filter((b) => b.language === 'sh')) {
    it(`runs ${where(block)} (shell)`, () => {
      const cwd = join(work, `sh-${slug(block)}`);
      mkdirSync(cwd, { recursive: true });
      if (!existsSync(join(cwd, 'node_modules'))) symlinkSync(join(packageDir, 'node_modules'), join(cwd, 'node_modules'));
      // The README's own JSON files (a fence naming the file) are there for its commands.
      for (const data of blocks.filter((b) => b.file === block.file && b.language === 'json' && b.info[0])) {
        writeFileSync(join(cwd, data.info[0] as string), data.code);
      }
      const steps = block.code.split('\n').flatMap((line) => {
        const step = shellStep(line, packages);
        return step ? [{ line, step }] : [];
      });
      expect(steps.length, `${where(block)} has no command`).toBeGreaterThan(0);
      for (const { line, step } of steps) {
        const at = `${where(block)} "${line.trim()}"`;
        if (step.kind === 'unknown') throw new Error(`${at} ${step.reason}`);
        if (step.kind === 'packages') {
          const lock = readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8');
          const missing = step.names.filter(
            (name) => !packages.has(name) && !lock.includes(`\n  ${name}@`) && !lock.includes(`\n  '${name}@`),
          );
          expect(missing, `${at}: not a workspace package nor locked`).toEqual([]);
        } else if (step.kind === 'script') {
          const manifest = JSON.parse(readFileSync(join(root, step.packageDir, 'package.json'), 'utf8'));
          expect(Object.keys(manifest.scripts ?? {}), `${at}: no script "${step.script}" in ${step.packageDir}/package.json`).toContain(
            step.script,
          );
        } else if (step.kind === 'ci') {
          expect(readFileSync(join(root, '.ci', 'run'), 'utf8'), `${at}: .ci/run must run it`).toMatch(/\bnpm test\b/);
        } else {
          const inRoot = step.inRoot === true;
          const { status, output } = run(step.command, inRoot ? root : cwd);
          expect(status, `${at} exited ${status} in ${relative(root, inRoot ? root : cwd)}:\n${output.slice(-4000)}`).toBe(0);
        }
      }
    });
  }
});
