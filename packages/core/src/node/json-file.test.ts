import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonFile, writeJsonFileAtomic } from './json-file.js';

const folder = () => mkdtempSync(join(tmpdir(), 'stepsize-json-'));

describe('atomic JSON files', () => {
  it('round-trips and leaves no temporary file behind', () => {
    const dir = folder();
    const path = join(dir, 'run.json');
    writeJsonFileAtomic(path, { step: 1, values: [0.5, -0] });
    writeJsonFileAtomic(path, { step: 2, values: [1.5] });
    expect(readJsonFile(path)).toEqual({ step: 2, values: [1.5] });
    expect(readdirSync(dir)).toEqual(['run.json']);
  });

  it('a value that cannot be serialized fails before the previous file is touched', () => {
    const dir = folder();
    const path = join(dir, 'run.json');
    writeJsonFileAtomic(path, { step: 1 });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => writeJsonFileAtomic(path, cyclic)).toThrow(/writeJsonFileAtomic value cannot be written as JSON/);
    expect(() => writeJsonFileAtomic(path, { n: 1n })).toThrow(/cannot be written as JSON/);
    expect(() => writeJsonFileAtomic(path, undefined)).toThrow(/cannot be written as JSON/);
    expect(readFileSync(path, 'utf8')).toBe('{"step":1}');
    expect(readdirSync(dir)).toEqual(['run.json']);
  });

  it('a crash before the rename leaves the previous file intact (the temporary is a separate file)', () => {
    const dir = folder();
    const path = join(dir, 'run.json');
    writeJsonFileAtomic(path, { step: 1 });
    // What a crash mid-write leaves: a partial temporary beside the target.
    writeFileSync(join(dir, '.run.json.1234.abcdef.tmp'), '{"step": 2, "val');
    expect(readJsonFile(path)).toEqual({ step: 1 });
  });

  it('names a missing, truncated or corrupt file', () => {
    const dir = folder();
    expect(() => readJsonFile(join(dir, 'none.json'), 'checkpoint')).toThrow(/checkpoint .*none\.json does not exist/);
    const truncated = join(dir, 'truncated.json');
    writeFileSync(truncated, '{"step": 2, "params": [1, 2');
    expect(() => readJsonFile(truncated, 'checkpoint')).toThrow(
      /checkpoint .*truncated\.json is not valid JSON \(truncated or corrupt\? 27 bytes\)/,
    );
    expect(() => writeJsonFileAtomic('', {})).toThrow(/path must be a non-empty file path/);
    expect(() => writeJsonFileAtomic(join(dir, 'missing-folder', 'x.json'), {})).toThrow(/ENOENT/);
  });
});
