// Assembles kernels.wat (WebAssembly text) into kernels-wasm.ts, the module's bytes as base64,
// with the `wabt` devDependency (a JavaScript build of the WebAssembly Binary Toolkit; nothing
// is downloaded). Run by the package's build script; `--check` exits 1 when kernels-wasm.ts is
// stale instead of writing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import createWabt from 'wabt';

const FEATURES = { simd: true, threads: true, relaxed_simd: true };
const here = (name) => fileURLToPath(new URL(name, import.meta.url));

const SHARED_IMPORT = '(import "env" "memory" (memory 1 65536 shared))';
const PRIVATE_IMPORT = '(import "env" "memory" (memory 1 65536))';

/**
 * `(FMA32 a b c)` in kernels.wat, `a + b·c` rounded once, written out for one build: `fused` as
 * `f32x4.relaxed_madd` (a hardware FMA where the start-up probe says so), otherwise as a call to
 * `$fma32x4` (float64 lanes rounded to odd: the same single rounding on any runtime).
 */
export function expandFma(source, fused) {
  source = expandPairs(source);
  const madd = expandMacro(source, 'MADD32', (a, b, c) =>
    fused ? `(f32x4.relaxed_madd ${b} ${c} ${a})` : `(f32x4.add ${a} (f32x4.mul ${b} ${c}))`,
  );
  if (fused) return expandMacro(madd, 'FMA32', (a, b, c) => `(f32x4.relaxed_madd ${b} ${c} ${a})`);
  return withFmaLocals(expandMacro(madd, 'FMA32', emulatedFma));
}

/** The balanced s-expression starting at `source[start]` ('('): its end index (exclusive). */
function closing(source, start) {
  let depth = 0;
  let index = start;
  do {
    if (source[index] === '(') depth += 1;
    else if (source[index] === ')') depth -= 1;
    index += 1;
  } while (depth > 0 && index < source.length);
  if (depth > 0) throw new Error(`kernels.wat: unbalanced parentheses from ${start}`);
  return index;
}

/**
 * `(BY_PAIRS ($x $y ...) body)`: the loop over [0, $end) in steps of 16 bytes ($o), two vectors
 * per iteration up to $end2 (the body, then a copy with the listed locals renamed `$x2`, `$y2`
 * and every v128 load and store 16 bytes on), then the body alone for the last vector.
 */
function expandPairs(source) {
  const open = '(BY_PAIRS ';
  const at = source.indexOf(open);
  if (at < 0) return source;
  const end = closing(source, at);
  const listStart = source.indexOf('(', at + 1);
  const listEnd = closing(source, listStart);
  const names = source
    .slice(listStart + 1, listEnd - 1)
    .trim()
    .split(/\s+/);
  const body = source.slice(listEnd, end - 1);
  const code = body.replace(/;;[^\n]*\n/g, '\n');
  const renamed = names.reduce((text, name) => text.replaceAll(new RegExp(`\\${name}\\b`, 'g'), `${name}2`), code);
  const second = renamed.replaceAll('(v128.load (', '(v128.load offset=16 (').replaceAll('(v128.store (', '(v128.store offset=16 (');
  const loops = [
    '(local.set $end2 (i32.and (local.get $end) (i32.const -32)))',
    '(block $pairsDone (loop $pairs (br_if $pairsDone (i32.ge_u (local.get $o) (local.get $end2)))',
    body,
    second,
    '(local.set $o (i32.add (local.get $o) (i32.const 32))) (br $pairs)))',
    '(block $done (loop $next (br_if $done (i32.ge_u (local.get $o) (local.get $end)))',
    body,
    '(local.set $o (i32.add (local.get $o) (i32.const 16))) (br $next)))',
  ].join('\n');
  return expandPairs(source.slice(0, at) + loops + source.slice(end));
}

/** Half of a float32 vector (lanes 0-1, or 2-3 when `high`) promoted to float64. */
const promote = (vector, high) =>
  high
    ? `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 ${vector} ${vector}))`
    : `(f64x2.promote_low_f32x4 ${vector})`;

/**
 * Lanes of a float64 sum s that rounding to float32 could round twice wrongly: s exactly halfway
 * between two float32 values (its low 29 bits 1 then zeros, for normal float32 results) or a
 * nonzero s in the float32 subnormal range, where the halfway points lie elsewhere. Everywhere
 * else, rounding s (the float64 nearest the exact a + b·c) to float32 gives the float32 nearest
 * the exact value: a halfway point between them would be a float64 nearer than s.
 */
const suspect = (sum) =>
  `(v128.or (i64x2.eq (v128.and ${sum} (v128.const i64x2 0x1fffffff 0x1fffffff)) (v128.const i64x2 0x10000000 0x10000000))` +
  ` (v128.and (f64x2.lt (f64x2.abs ${sum}) (v128.const f64x2 0x1p-125 0x1p-125)) (f64x2.ne ${sum} (v128.const f64x2 0 0))))`;

/**
 * FMA32 without a hardware FMA, inline: the float64 sums of both halves rounded to float32, and
 * the exact $fma32x4 (TwoSum, rounding to odd) only for a vector with a suspect lane (about one
 * in 2^28). The operands go through the function's $fmaA/$fmaB/$fmaC locals (added by
 * withFmaLocals), so they are evaluated once, in order.
 */
function emulatedFma(a, b, c) {
  if (/\$fma(A|B|C|Lo|Hi)\b/.test(a + b + c)) throw new Error('kernels.wat: FMA32 operands must not contain another FMA32');
  const [A, B, C] = ['(local.get $fmaA)', '(local.get $fmaB)', '(local.get $fmaC)'];
  const sum = (high) => `(f64x2.add ${promote(A, high)} (f64x2.mul ${promote(B, high)} ${promote(C, high)}))`;
  return [
    '(block (result v128)',
    `(local.set $fmaA ${a}) (local.set $fmaB ${b}) (local.set $fmaC ${c})`,
    `(local.set $fmaLo ${sum(false)}) (local.set $fmaHi ${sum(true)})`,
    `(if (result v128) (v128.any_true (v128.or ${suspect('(local.get $fmaLo)')} ${suspect('(local.get $fmaHi)')}))`,
    `(then (call $fma32x4 ${A} ${B} ${C}))`,
    '(else (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero (local.get $fmaLo)) (f32x4.demote_f64x2_zero (local.get $fmaHi))))))',
  ].join(' ');
}

/** Declares the scratch locals of emulatedFma in every function that uses them, after its signature. */
function withFmaLocals(source) {
  const locals = '(local $fmaA v128) (local $fmaB v128) (local $fmaC v128) (local $fmaLo v128) (local $fmaHi v128)';
  return source
    .split(/(?=\n {2}\(func )/)
    .map((part) => {
      if (!part.includes('(local.set $fmaLo')) return part;
      const lines = part.split('\n');
      // The signature: the (func ...) line and the (param ...)/(result ...) lines after it.
      let at = lines.findIndex((line) => line.startsWith('  (func '));
      while (/^ {4}\((param|result) /.test(lines[at + 1] ?? '')) at += 1;
      lines.splice(at + 1, 0, `    ${locals}`);
      return lines.join('\n');
    })
    .join('');
}

/**
 * Every `(NAME a b c)` outside comments replaced by `expand(a, b, c)` (operands expanded first).
 * `MADD32` is the matmul's term: fused in the relaxed-SIMD build, a float32 product then sum
 * (two roundings, as referenceMatmul) in the plain one.
 */
function expandMacro(source, name, expand) {
  const open = `(${name} `;
  let out = '';
  let from = 0;
  for (;;) {
    const at = source.indexOf(open, from);
    if (at < 0) return out + source.slice(from);
    if (source.slice(source.lastIndexOf('\n', at) + 1, at).includes(';;')) {
      out += source.slice(from, at + 1);
      from = at + 1;
      continue;
    }
    const operands = [];
    let index = at + open.length;
    while (operands.length < 3) {
      while (/\s/.test(source[index])) index += 1;
      if (source[index] !== '(') throw new Error(`kernels.wat: ${name} at ${at} needs three parenthesized operands`);
      let depth = 0;
      const start = index;
      do {
        if (source[index] === '(') depth += 1;
        else if (source[index] === ')') depth -= 1;
        index += 1;
      } while (depth > 0);
      operands.push(expandMacro(source.slice(start, index), name, expand));
    }
    while (/\s/.test(source[index])) index += 1;
    if (source[index] !== ')') throw new Error(`kernels.wat: ${name} at ${at} takes exactly three operands`);
    const [a, b, c] = operands;
    out += source.slice(from, at) + expand(a, b, c);
    from = index + 1;
  }
}

/**
 * The .wat source assembled to bytes (SIMD and threads enabled) four times: importing a shared
 * memory (for worker threads) or an ordinary one (whose buffer native addons such as
 * onnxruntime-node accept), each with `FMA32` as relaxed SIMD's fused multiply-add (`fused*`)
 * or as the exact float64 emulation (`plain*`); the code is otherwise the same.
 */
export async function assemble() {
  const wabt = await createWabt();
  const source = readFileSync(here('./kernels.wat'), 'utf8');
  checkFloatArguments(source, readFileSync(here('./signatures.ts'), 'utf8'));
  if (!source.includes(SHARED_IMPORT)) throw new Error(`kernels.wat must import its memory as ${SHARED_IMPORT}`);
  const build = (text) => {
    const module = wabt.parseWat('kernels.wat', text, FEATURES);
    module.validate(FEATURES);
    const { buffer } = module.toBinary({});
    module.destroy();
    return Buffer.from(buffer);
  };
  const variants = {};
  for (const fused of [false, true]) {
    const text = expandFma(source, fused);
    const prefix = fused ? 'fused' : 'plain';
    variants[`${prefix}Shared`] = build(text);
    variants[`${prefix}Private`] = build(text.replace(SHARED_IMPORT, PRIVATE_IMPORT));
  }
  return variants;
}

/**
 * The f32 parameters of each optimizer export must be, in order, the scalar names that
 * signatures.ts lists for it (which TypeScript checks against core's scalar types): a
 * renamed or reordered argument stops the build here instead of passing a wrong number.
 */
export function checkFloatArguments(wat, signatures) {
  const lists = [...signatures.matchAll(/^ {2}(\w+): \[([^\]]*)\] as const/gm)];
  if (lists.length === 0) throw new Error('signatures.ts: no WASM_FLOAT_ARGUMENTS lists found');
  for (const [, name, body] of lists) {
    const expected = [...body.matchAll(/'(\w+)'/g)].map((m) => m[1]);
    const start = wat.indexOf(`(export "${name}")`);
    if (start < 0) throw new Error(`kernels.wat has no export "${name}" (listed in signatures.ts)`);
    // The signature: the export's params, up to its first local or the next function.
    const ends = [wat.indexOf('(local', start), wat.indexOf('\n  (func', start)].filter((i) => i >= 0);
    const header = wat.slice(start, ends.length > 0 ? Math.min(...ends) : undefined);
    const actual = [...header.matchAll(/\(param \$(\w+) f32\)/g)].map((m) => m[1]);
    if (actual.join(',') !== expected.join(',')) {
      throw new Error(`kernels.wat export "${name}" takes f32 (${actual.join(', ')}) but signatures.ts lists (${expected.join(', ')})`);
    }
  }
}

export function render(bytes) {
  const line = (name, doc, value) => [`/** ${doc} */`, `export const ${name} =`, `  '${value.toString('base64')}';`];
  return [
    '// Generated by assemble.mjs from kernels.wat: do not edit (run `pnpm build`).',
    ...line(
      'kernelsWasmBase64',
      'kernels.wat assembled to WebAssembly bytes, base64 (imports a shared memory; FMA32 emulated).',
      bytes.plainShared,
    ),
    ...line('kernelsPrivateMemoryWasmBase64', 'The same module importing an ordinary (non-shared) memory, base64.', bytes.plainPrivate),
    ...line(
      'kernelsFusedWasmBase64',
      'kernels.wat with FMA32 as relaxed SIMD `f32x4.relaxed_madd` (shared memory), base64.',
      bytes.fusedShared,
    ),
    ...line('kernelsFusedPrivateMemoryWasmBase64', 'The relaxed-SIMD module importing an ordinary memory, base64.', bytes.fusedPrivate),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = render(await assemble());
  const target = here('./kernels-wasm.ts');
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (process.argv.includes('--check')) {
    if (current !== text) {
      console.error('kernels-wasm.ts is stale: run node src/wasm/assemble.mjs');
      process.exit(1);
    }
  } else if (current !== text) writeFileSync(target, text);
}
