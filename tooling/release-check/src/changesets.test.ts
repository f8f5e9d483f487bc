import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicPackages, root } from './pack.js';

type Manifest = { name: string; version: string; private?: boolean; dependencies?: Record<string, string> };
const read = (path: string): Manifest => JSON.parse(readFileSync(path, 'utf8')) as Manifest;

describe('changesets', () => {
  it('`changeset version` gives every public package the same new version, updates internal ranges and writes CHANGELOGs; private packages stay', () => {
    // A copy of what changesets reads: the config, the pending changesets and every manifest.
    const copy = mkdtempSync(join(tmpdir(), 'stepsize-changesets-'));
    for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset'])
      cpSync(join(root, file), join(copy, file), { recursive: true });
    const folders = ['packages', 'apps', 'tooling'].flatMap((group) =>
      existsSync(join(root, group))
        ? readdirSync(join(root, group))
            .filter((f) => existsSync(join(root, group, f, 'package.json')))
            .map((f) => `${group}/${f}`)
        : [],
    );
    for (const folder of folders) {
      mkdirSync(join(copy, folder), { recursive: true });
      cpSync(join(root, folder, 'package.json'), join(copy, folder, 'package.json'));
    }
    const pending = readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(pending.length, 'pending changesets to version').toBeGreaterThan(0);
    const before = Object.fromEntries(folders.map((f) => [f, read(join(copy, f, 'package.json'))]));
    execFileSync(process.execPath, [join(root, 'node_modules/@changesets/cli/bin.js'), 'version'], { cwd: copy, stdio: 'pipe' });
    const versions = new Set<string>();
    for (const folder of Object.keys(publicPackages)) {
      const after = read(join(copy, 'packages', folder, 'package.json'));
      versions.add(after.version);
      expect(after.version, folder).not.toBe(before[`packages/${folder}`]?.version);
      for (const [name, range] of Object.entries(after.dependencies ?? {})) {
        if (name.startsWith('@stepsize/')) expect(range, `${folder} → ${name}`).toMatch(/^workspace:/);
      }
      expect(readFileSync(join(copy, 'packages', folder, 'CHANGELOG.md'), 'utf8')).toContain(`## ${after.version}`);
    }
    expect(versions.size, 'one fixed version for @stepsize/*').toBe(1);
    for (const [folder, manifest] of Object.entries(before)) {
      if (manifest.private) expect(read(join(copy, folder, 'package.json')).version, `${folder} is private`).toBe(manifest.version);
    }
    expect(readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')).toEqual([]);
  });
});
