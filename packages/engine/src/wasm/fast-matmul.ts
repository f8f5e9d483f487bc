import { checkMatmulArgs, referenceMatmul, type Matmul } from '../model/matmul.js';
import { compilePlainPrivate, type WasmModule } from './fast-kernels.js';

/** The slice of the WebAssembly JS API used here (the project's libs declare none; module-scoped). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
};

const PAGE = 65536;
const MAX_PAGES = 65536;

interface Instance {
  readonly memory: WasmMemory;
  readonly run: (
    c: number,
    a: number,
    b: number,
    rows: number,
    depth: number,
    columns: number,
    aRowStride: number,
    aDepthStride: number,
  ) => void;
}

let instance: Instance | null | undefined;

function load(): Instance | null {
  if (instance !== undefined) return instance;
  const module = compilePlainPrivate();
  if (!module) {
    instance = null;
    return instance;
  }
  const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES });
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as { matmulAccumulate: Instance['run'] };
  instance = { memory, run: exports.matmulAccumulate };
  return instance;
}

const align = (bytes: number): number => Math.ceil(bytes / 64) * 64;

/**
 * The dense-layer product in WebAssembly SIMD, equal bit for bit to {@link referenceMatmul}
 * (the same order of float32 products and sums; matmul.test.ts proves it): 16 columns at a
 * time in registers over the whole depth. The operands are copied into the module's own
 * memory and the result copied back, which costs O(size) against the product's
 * O(rows · depth · columns); that memory is kept (as large as the largest operands so far) for
 * the next calls. One thread: `fast.matmul` of `createFastKernels` splits the rows across
 * worker threads and uses operands in its memory in place. Falls back to the reference where
 * WebAssembly SIMD is missing.
 *
 * @example
 * ```ts
 * // c (128x256) += x (128x784) · w (784x256)
 * fastMatmul({ c, a: x, b: w, rows: 128, depth: 784, columns: 256, aRowStride: 784, aDepthStride: 1 });
 * ```
 */
export const fastMatmul: Matmul = (args) => {
  checkMatmulArgs(args);
  const { c, a, b, rows, depth, columns, aRowStride, aDepthStride } = args;
  if (rows === 0 || columns === 0 || depth === 0) return;
  const wasm = load();
  if (!wasm) {
    referenceMatmul(args);
    return;
  }
  const cLength = rows * columns;
  const aLength = (rows - 1) * aRowStride + (depth - 1) * aDepthStride + 1;
  const bLength = depth * columns;
  // The kernel may read up to 12 bytes past the last row of c and b: 16 bytes of room after each.
  const aOffset = align(cLength * 4 + 16);
  const bOffset = align(aOffset + aLength * 4);
  const bytes = bOffset + bLength * 4 + 16;
  const have = wasm.memory.buffer.byteLength;
  if (bytes > have) {
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES)
      throw new RangeError(`fastMatmul: the operands need ${bytes} bytes, more than WebAssembly's 4 GiB`);
    wasm.memory.grow(pages);
  }
  const view = new Float32Array(wasm.memory.buffer);
  view.set(c.subarray(0, cLength), 0);
  view.set(a.subarray(0, aLength), aOffset / 4);
  view.set(b.subarray(0, bLength), bOffset / 4);
  wasm.run(0, aOffset, bOffset, rows, depth, columns, aRowStride, aDepthStride);
  c.set(view.subarray(0, cLength));
};
