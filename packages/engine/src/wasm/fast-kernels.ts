import type {
  AdamFlags,
  AdamScalar,
  AdamSlot,
  FusedKernel,
  FusedKernelArgs,
  KernelTable,
  Ops,
  SgdFlags,
  SgdScalar,
  SgdSlot,
} from '@stepsize/core';
import { fusedKernels } from '../kernels.js';
import { floatArguments } from './signatures.js';
import { checkMatmulArgs, fusedReferenceMatmul, referenceMatmul, type Matmul } from '../model/matmul.js';
import { type ReluKernels, referenceRelu } from '../model/relu.js';
import { float32Ops } from '../ops.js';
import {
  kernelsFusedPrivateMemoryWasmBase64,
  kernelsFusedWasmBase64,
  kernelsPrivateMemoryWasmBase64,
  kernelsWasmBase64,
} from './kernels-wasm.js';

/**
 * WebAssembly SIMD kernels for SGD (with or without momentum), Adam and AdamW,
 * bit-for-bit equal to the reference kernels in `../kernels.ts` (fast-kernels.test.ts
 * proves it), optionally split across worker threads that share the WebAssembly memory.
 *
 * Arrays that live in the kernels' shared memory ("resident": from `allocate`, `from`
 * or the returned `ops`) are updated in place with no copy; any other Float32Array is
 * streamed through a small cache-sized scratch area, chunk by chunk. The last
 * `length % 4` elements and every other optimizer go to the reference kernels.
 *
 * This file imports nothing of Node: the worker threads come from a `ThreadPlatform`, which
 * the Node entry makes with Node's `worker_threads` (create-fast-kernels.node.ts) and the
 * browser entry makes without workers (create-fast-kernels.browser.ts).
 */

/** The last `length % 4` elements of an update through the reference kernel. */
function tail<S extends string, F, L extends string>(
  reference: FusedKernel<S, F, L>,
  args: FusedKernelArgs<S, F, L, Float32Array>,
  from: number,
): void {
  const slots: Partial<Record<L, Float32Array>> = {};
  for (const [key, value] of Object.entries(args.slots) as [L, Float32Array | undefined][]) if (value) slots[key] = value.subarray(from);
  reference({ ...args, param: args.param.subarray(from), grad: args.grad.subarray(from), slots });
}
type AdamKernel = FusedKernel<AdamScalar, AdamFlags, AdamSlot>;
type SgdKernel = FusedKernel<SgdScalar, SgdFlags, SgdSlot>;

/**
 * The slice of the WebAssembly JS API used here (the project's libs declare none; module-scoped).
 * @internal
 */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
/** @internal */
export interface WasmModule {
  readonly __wasmModule?: never;
}
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
};

const PAGE = 65536;
const CONTROL = 0; // 32 int32 slots per worker
// Each worker's control block (int32 slots): 0 job sequence, 1 done sequence, 2 op, 10 failed,
// 11 int count, 12 float count, 13 pointer count, 14 chunk, 16-31 int arguments, 32-63 float ones.
const CONTROL_SLOTS = 64;
const INTS = 16;
const FLOATS = 32;
/** How long an idle worker spins for the next job before it sleeps (Atomics.wait). */
const SPIN_MILLISECONDS = 2;
const COUNTER = 1000; // int32 index of the chunk counter of the running job
const NON_FINITE_FLAG = 1001; // int32 index that anyNonFinite sets to 1
const MAX_WORKERS = 15; // 64 int32 slots each below COUNTER
const CHUNK = 4096; // floats per scratch array: 5 arrays of 16 KiB stay in L2
const SCRATCH = 4096;
const HEAP = 2 * PAGE;
const MAX_PAGES = 65536;
/** Worker jobs: the export that an op number runs (0 stops the worker). */
const OPS = ['', 'adam', 'adamPlain', 'sgd', 'sgdMomentum', 'stream', 'matmulRows', 'anyNonFinite', 'relu', 'reluBackward'] as const;
const OP_EXIT = 0;

interface Exports {
  adam(...args: number[]): void;
  adamPlain(...args: number[]): void;
  sgdMomentum(...args: number[]): void;
  firstNonFinite(x: number, n: number): number;
  anyNonFinite(x: number, n: number, flag: number): void;
  sgd(...args: number[]): void;
  stream(p: number, g: number, m: number, v: number, n: number): void;
  relu(x: number, y: number, n: number): void;
  reluBackward(sum: number, z: number, out: number, n: number): void;
  matmulAccumulate(
    c: number,
    a: number,
    b: number,
    rows: number,
    depth: number,
    columns: number,
    aRowStride: number,
    aDepthStride: number,
  ): void;
  matmulRows(...args: number[]): void;
}

function decode(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The four builds of kernels.wat: memory shared or private, FMA32 fused (relaxed SIMD) or emulated. */
const SOURCES = {
  plainShared: kernelsWasmBase64,
  plainPrivate: kernelsPrivateMemoryWasmBase64,
  fusedShared: kernelsFusedWasmBase64,
  fusedPrivate: kernelsFusedPrivateMemoryWasmBase64,
} as const;
type Build = keyof typeof SOURCES;
const compiledBuilds = new Map<Build, WasmModule | null>();

/** One build compiled (once), or null where this runtime does not validate it. */
function compileBuild(build: Build): WasmModule | null {
  const cached = compiledBuilds.get(build);
  if (cached !== undefined) return cached;
  let module: WasmModule | null = null;
  try {
    const bytes = decode(SOURCES[build]);
    const shared = build.endsWith('Shared');
    const ok =
      typeof WebAssembly === 'object' &&
      WebAssembly.validate(bytes) &&
      (!shared ||
        (typeof SharedArrayBuffer === 'function' &&
          new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer));
    module = ok ? new WebAssembly.Module(bytes) : null;
  } catch {
    module = null;
  }
  compiledBuilds.set(build, module);
  return module;
}

let fusedVerdict: boolean | undefined;

/**
 * Whether relaxed SIMD's `f32x4.relaxed_madd` validates here and rounds once (the start-up
 * self-check: the module's `fmaProbe` computes (1 + 2^-12)(1 - 2^-12) - 1, which is -2^-24 fused
 * and 0 unfused). Node 22 and later validate it; Node 20 does not. Checked once per process.
 */
export function fusedMultiplyAddSupported(): boolean {
  if (fusedVerdict !== undefined) return fusedVerdict;
  fusedVerdict = false;
  const module = compileBuild('fusedPrivate');
  if (module) {
    try {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: false });
      const probe = new WebAssembly.Instance(module, { env: { memory } }).exports as { fmaProbe(): number };
      fusedVerdict = probe.fmaProbe() === 1;
    } catch {
      fusedVerdict = false;
    }
  }
  return fusedVerdict;
}

/** The build to run: fused where `fused` is asked (or, by default, where the self-check passes). */
function compile(shared: boolean, fused: boolean = fusedMultiplyAddSupported()): WasmModule | null {
  const memory = shared ? 'Shared' : 'Private';
  return fused ? compileBuild(`fused${memory}`) : compileBuild(`plain${memory}`);
}

/**
 * The module importing an ordinary memory (the fused build where the self-check passes), or
 * null where WebAssembly SIMD is unavailable.
 * @internal
 */
export function compilePrivate(): WasmModule | null {
  return compile(false);
}

/**
 * The module importing an ordinary memory with the matmul's two roundings (referenceMatmul's
 * bits on every runtime), or null where WebAssembly SIMD is unavailable.
 * @internal
 */
export function compilePlainPrivate(): WasmModule | null {
  return compile(false, false);
}

/** Whether this runtime can run the WebAssembly SIMD kernels (otherwise the reference kernels run). */
export function fastKernelsSupported(): boolean {
  return compile(true, false) !== null;
}

/**
 * The worker's job loop: instantiate the module on the shared memory, then serve jobs from its
 * control slots. It expects `workerData` ({ module, memory, index }) and `parentPort` (a
 * `postMessage` to say it is ready) in scope: the Node entry declares them from
 * Node's `worker_threads` (create-fast-kernels.node.ts); the browser entry starts no workers.
 * @internal
 */
export const WORKER_LOOP = `
const { module, memory, index } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const i32 = new Int32Array(memory.buffer, ${CONTROL}, 1024);
const f32 = new Float32Array(memory.buffer, ${CONTROL}, 1024);
const b = index * ${CONTROL_SLOTS};
const NAMES = ${JSON.stringify(OPS)};
let seen = 0;
parentPort.postMessage('ready');
for (;;) {
  // Spin for up to ${SPIN_MILLISECONDS} ms after a job before sleeping: a training step's products follow
  // one another closely, and waking a sleeping thread costs more than the product itself.
  let spins = 0;
  let deadline = 0;
  while (Atomics.load(i32, b) === seen) {
    spins += 1;
    if ((spins & 1023) !== 0) continue;
    const now = performance.now();
    if (deadline === 0) deadline = now + ${SPIN_MILLISECONDS};
    else if (now > deadline) break;
  }
  if (Atomics.load(i32, b) === seen) { Atomics.wait(i32, b, seen, 1000); continue; }
  const seq = Atomics.load(i32, b);
  seen = seq;
  const op = i32[b + 2];
  if (op === ${OP_EXIT}) break;
  let failed = 0;
  try {
    // Claim chunks of the job from the shared counter until none is left (this thread and the
    // others share the work dynamically, so a busy core slows the job less).
    const ints = Array.from(i32.subarray(b + ${INTS}, b + ${INTS} + i32[b + 11]));
    const floats = Array.from(f32.subarray(b + ${FLOATS}, b + ${FLOATS} + i32[b + 12]));
    const np = i32[b + 13];
    const chunk = i32[b + 14];
    const bases = ints.slice(0, np);
    const n = ints[np];
    const extra = ints.slice(np + 1);
    const run = ex[NAMES[op]];
    for (;;) {
      const start = Atomics.add(i32, ${COUNTER}, 1) * chunk;
      if (start >= n) break;
      run(...bases.map((x) => x + start * 4), Math.min(chunk, n - start), ...extra, ...floats);
    }
  } catch (error) { failed = 1; }
  i32[b + 10] = failed;
  Atomics.store(i32, b + 1, seq);
  Atomics.notify(i32, b + 1);
}
`;

/**
 * A started worker, as the engine drives it (Node's `Worker` fits).
 * @internal
 */
export interface WorkerHandle {
  terminate(): Promise<number>;
  unref(): void;
  postMessage(value: unknown): void;
}

/**
 * What a platform gives {@link createFastKernelsOn}: its default thread count and a way to start
 * workers that run {@link WORKER_LOOP}. Node's (create-fast-kernels.node.ts) uses
 * Node's `worker_threads` and `os` modules; the browser entry's has no workers.
 * @internal
 */
export interface ThreadPlatform {
  /** The threads (this one included) when `options.threads` is absent. */
  defaultThreads(): number;
  /** The most threads (this one included) that the platform runs: 1 where it has no workers. */
  readonly maxThreads: number;
  /** Starts `count` workers on the module and its shared memory; resolves once every one is ready. */
  startWorkers(count: number, module: WasmModule, memory: WasmMemory): Promise<WorkerHandle[]>;
}

/** Options of {@link createFastKernels}. */
export interface FastKernelOptions {
  /**
   * Threads that share one large update: this thread plus `threads - 1` workers
   * (Node's `worker_threads`), at most 16. Default: the machine's available
   * parallelism in Node. The browser entry (the `browser` export condition, which bundlers
   * pick for browsers) has no workers: there the kernels always run on the calling thread
   * (`threads` of the result is 1, whatever is asked).
   */
  readonly threads?: number;
  /**
   * Parameters with fewer elements run on this thread alone. Default 131072 (an Mlp 784-256-10
   * weight, 200,704 elements, is split: Adam on it 0.28 -> 0.17 ms on 2 threads).
   */
  readonly minParallelLength?: number;
  /** Smallest chunk (elements, a multiple of 16) that a thread claims of a parallel update. Default 16384. */
  readonly parallelChunkLength?: number;
  /** `ops.zerosLike`/`fullLike` place arrays of at least this length in shared memory. Default 256. */
  readonly minResidentLength?: number;
  /**
   * Use an ordinary (not shared) WebAssembly memory of this fixed size in bytes instead of
   * a growing shared one. Its arrays are views of an ordinary `ArrayBuffer`, which native
   * addons accept (onnxruntime-node refuses `SharedArrayBuffer` views, so tensors can then be
   * fed from and written into the kernels' memory with no copy). The memory never grows, so
   * views stay valid; `allocate` and `from` throw once it is full, and `ops` then falls back
   * to ordinary arrays (updated through the scratch area). Worker threads need shared memory,
   * so `threads` must be 1 (its default here). Rounded up to 64 KiB pages, plus 128 KiB for
   * the kernels' control and scratch areas; at most 4 GiB.
   */
  readonly fixedMemoryBytes?: number;
  /**
   * How the kernels round their multiply-adds (`a + b·c`, once, as PyTorch's CPU kernels):
   * `true` uses relaxed SIMD's `f32x4.relaxed_madd`, a hardware fused multiply-add, and throws
   * where it is missing or not fused; `false` uses the float64 emulation, which gives the same
   * bits more slowly. Default: the hardware FMA where the start-up self-check
   * ({@link fusedMultiplyAddSupported}) passes (Node 22 and later on CPUs with FMA), else the
   * emulation. The results are identical either way.
   */
  readonly fusedMultiplyAdd?: boolean;
}

/** SIMD kernels with their own shared WebAssembly memory and worker threads. */
export interface FastKernels {
  /** The kernels: SIMD for `sgd`, `adam`, `adamW`, the reference kernels for the others. */
  readonly kernels: KernelTable;
  /**
   * `float32Ops` whose `zerosLike` and `fullLike` allocate in the shared memory, so that
   * optimizer slots created by an `OptimizerRunner` are updated without copies.
   */
  readonly ops: Ops<Float32Array>;
  /**
   * The dense-layer product ({@link Matmul}) in this memory, rows split across the threads: pass
   * it as `new Mlp({ matmul: fast.matmul })`. Bit for bit `fusedReferenceMatmul` where
   * `fusedMultiplyAdd` is true (one rounding per term, on the hardware FMA), else `referenceMatmul`.
   */
  readonly matmul: Matmul;
  /**
   * An Mlp's relu and its backward pass in SIMD ({@link ReluKernels}), in place on arrays of
   * this memory, split across the threads when long: pass it as `new Mlp({ relu: fast.relu })`.
   * Bit for bit `referenceRelu`.
   */
  readonly relu: ReluKernels;
  /** Threads in use (1 means this thread only). */
  readonly threads: number;
  /** Whether WebAssembly SIMD runs (false: every kernel is the reference kernel). */
  readonly simd: boolean;
  /** Whether the SIMD kernels use the hardware fused multiply-add (relaxed SIMD); false: its float64 emulation. */
  readonly fusedMultiplyAdd: boolean;
  /** Whether the memory is the fixed, ordinary one of `fixedMemoryBytes` (else shared and growing). */
  readonly fixedMemory: boolean;
  /** A zero-filled Float32Array in the shared memory (a parameter or gradient to update in place). */
  allocate(length: number): Float32Array;
  /** A copy of `values` in the shared memory. */
  from(values: ArrayLike<number>): Float32Array;
  /** Whether `array` lives in the shared memory. */
  isResident(array: Float32Array): boolean;
  /** Returns an array from `allocate`, `from` or `ops` to the allocator (do not use it afterwards). */
  release(array: Float32Array): void;
  /** Stops the worker threads (the kernels keep working on this thread). */
  close(): Promise<void>;
  /** @internal Streams Adam's memory traffic (m += g, v += g, p -= g) over resident arrays: the benchmark's limit. */
  stream(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array): void;
}

/** Bytes a Float32Array of `length` elements takes in the allocator (64-byte blocks, at least one). */
const blockBytes = (length: number): number => Math.max(64, Math.ceil((length * 4) / 64) * 64);

/**
 * The `fixedMemoryBytes` that holds Float32Arrays of these lengths allocated with
 * `allocate`/`from` of {@link createFastKernels} (each takes whole 64-byte blocks).
 *
 * @example
 * ```ts
 * // A parameter, its gradient and Adam's two slots for each of two tensors.
 * const fast = await createFastKernels({ fixedMemoryBytes: fastMemoryBytes([...Array(4).fill(200_704), ...Array(4).fill(256)]) });
 * ```
 */
export function fastMemoryBytes(lengths: readonly number[]): number {
  return lengths.reduce((total, length) => total + blockBytes(length), 0);
}

/** A first-fit allocator over [HEAP, memory end), 64-byte blocks. */
class Heap {
  private readonly free: Array<[number, number]> = [];
  private readonly used = new Map<number, number>();
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Whether the memory has a fixed size (it never grows). */
  readonly fixed: boolean;

  constructor(
    private readonly memory: WasmMemory,
    private readonly maxPages: number,
  ) {
    this.fixed = maxPages !== MAX_PAGES;
    this.buffers.add(memory.buffer);
    const end = memory.buffer.byteLength;
    if (end > HEAP) this.free.push([HEAP, end - HEAP]);
  }

  isResident(array: Float32Array): boolean {
    return this.buffers.has(array.buffer);
  }

  allocate(length: number): Float32Array {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`fast kernels: bad length ${length}`);
    const bytes = blockBytes(length);
    let index = this.free.findIndex(([, size]) => size >= bytes);
    if (index < 0) {
      const end = this.memory.buffer.byteLength;
      const last = this.free[this.free.length - 1];
      const tail = last && last[0] + last[1] === end ? last[1] : 0;
      const pages = Math.ceil((bytes - tail) / PAGE);
      if (end / PAGE + pages > this.maxPages) {
        throw new RangeError(
          this.maxPages === MAX_PAGES
            ? 'fast kernels: out of WebAssembly memory (4 GiB)'
            : `fast kernels: the fixed memory (fixedMemoryBytes, ${this.maxPages * PAGE - HEAP} bytes for arrays) cannot hold ${length} more elements`,
        );
      }
      this.memory.grow(pages);
      this.buffers.add(this.memory.buffer);
      if (tail > 0) (last as [number, number])[1] += pages * PAGE;
      else this.free.push([end, pages * PAGE]);
      index = this.free.length - 1;
    }
    const block = this.free[index] as [number, number];
    const offset = block[0];
    if (block[1] === bytes) this.free.splice(index, 1);
    else {
      block[0] += bytes;
      block[1] -= bytes;
    }
    this.used.set(offset, bytes);
    const array = new Float32Array(this.memory.buffer, offset, length);
    array.fill(0);
    return array;
  }

  release(array: Float32Array): void {
    const offset = array.byteOffset;
    const bytes = this.used.get(offset);
    if (bytes === undefined || !this.isResident(array)) return;
    this.used.delete(offset);
    let i = 0;
    while (i < this.free.length && (this.free[i] as [number, number])[0] < offset) i += 1;
    this.free.splice(i, 0, [offset, bytes]);
    // Coalesce with the next and the previous block.
    const here = this.free[i] as [number, number];
    const next = this.free[i + 1];
    if (next && here[0] + here[1] === next[0]) {
      here[1] += next[1];
      this.free.splice(i + 1, 1);
    }
    const previous = this.free[i - 1];
    if (previous && previous[0] + previous[1] === here[0]) {
      previous[1] += here[1];
      this.free.splice(i, 1);
    }
  }
}

class Engine {
  readonly memory: WasmMemory;
  readonly exports: Exports;
  readonly heap: Heap;
  readonly i32: Int32Array;
  readonly f32: Float32Array;
  readonly scratch: Float32Array[];
  workers: WorkerHandle[] = [];
  sequence = 0;
  minParallelLength = 131072;
  minChunk = 16384;

  /** `fixedPages`: an ordinary memory of that many pages (the module must import a non-shared memory). */
  constructor(
    readonly module: WasmModule,
    fixedPages?: number,
    /** Whether the module is the relaxed-SIMD build (its matmul rounds each term once). */
    readonly fused = false,
  ) {
    this.memory =
      fixedPages === undefined
        ? new WebAssembly.Memory({ initial: HEAP / PAGE, maximum: MAX_PAGES, shared: true })
        : new WebAssembly.Memory({ initial: fixedPages, maximum: fixedPages, shared: false });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as Exports;
    this.heap = new Heap(this.memory, fixedPages ?? MAX_PAGES);
    this.i32 = new Int32Array(this.memory.buffer, CONTROL, 1024);
    this.f32 = new Float32Array(this.memory.buffer, CONTROL, 1024);
    this.scratch = [0, 1, 2, 3, 4].map((k) => new Float32Array(this.memory.buffer, SCRATCH + k * CHUNK * 4, CHUNK));
  }

  /** Starts `count` workers of the platform on this module and memory (none when count <= 0). */
  async startWorkers(count: number, platform: ThreadPlatform): Promise<void> {
    if (count <= 0) return;
    this.workers = await platform.startWorkers(count, this.module, this.memory);
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    this.sequence += 1;
    workers.forEach((_, index) => {
      const b = index * CONTROL_SLOTS;
      this.i32[b + 2] = OP_EXIT;
      Atomics.store(this.i32, b, this.sequence);
      Atomics.notify(this.i32, b);
    });
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  /**
   * Runs the export `name` over [0, n) elements of resident arrays starting at byte offsets
   * `bases`, with `extra` int and `floats` arguments after the count: on this thread alone
   * below `minParallelLength`, else in chunks that this thread and the workers claim from a
   * shared counter.
   */
  parallel(name: (typeof OPS)[number], n: number, bases: number[], extra: number[], floats: number[], chunkLength?: number): void {
    const run = this.exports[name as keyof Exports] as (...args: number[]) => void;
    const parts = this.workers.length + 1;
    if (parts === 1 || (chunkLength === undefined && n < this.minParallelLength) || (chunkLength !== undefined && chunkLength >= n)) {
      run(...bases, n, ...extra, ...floats);
      return;
    }
    const chunk = chunkLength ?? Math.max(this.minChunk, Math.ceil(n / (parts * 8) / 16) * 16);
    const sequence = ++this.sequence;
    Atomics.store(this.i32, COUNTER, 0);
    const ints = [...bases, n, ...extra];
    const active: number[] = [];
    for (let w = 0; w < this.workers.length && w * chunk < n; w += 1) {
      const b = w * CONTROL_SLOTS;
      ints.forEach((x, k) => {
        this.i32[b + INTS + k] = x;
      });
      floats.forEach((x, k) => {
        this.f32[b + FLOATS + k] = x;
      });
      this.i32[b + 11] = ints.length;
      this.i32[b + 12] = floats.length;
      this.i32[b + 13] = bases.length;
      this.i32[b + 14] = chunk;
      this.i32[b + 2] = OPS.indexOf(name);
      Atomics.store(this.i32, b, sequence);
      Atomics.notify(this.i32, b);
      active.push(b);
    }
    for (;;) {
      const start = Atomics.add(this.i32, COUNTER, 1) * chunk;
      if (start >= n) break;
      run(...bases.map((x) => x + start * 4), Math.min(chunk, n - start), ...extra, ...floats);
    }
    let failed = false;
    for (const b of active) {
      // Spin (a worker finishes within microseconds of this thread, and a sleeping thread takes
      // far longer to wake), then sleep in short waits if a worker is slow.
      let spins = 0;
      let deadline = 0;
      while (Atomics.load(this.i32, b + 1) !== sequence) {
        spins += 1;
        if ((spins & 1023) !== 0) continue;
        const now = performance.now();
        if (deadline === 0) deadline = now + SPIN_MILLISECONDS;
        else if (now > deadline) Atomics.wait(this.i32, b + 1, Atomics.load(this.i32, b + 1), 10);
      }
      if (this.i32[b + 10] !== 0) failed = true;
    }
    if (failed) throw new Error('fast kernels: a worker failed');
  }

  /**
   * Runs `body(pointers, count)` over [0, n4) of the arrays: resident ones in place, the
   * others copied through the scratch area chunk by chunk (`outputs` are copied back).
   */
  chunked(
    arrays: Array<Float32Array | undefined>,
    outputs: boolean[],
    n4: number,
    body: (pointers: number[], count: number) => void,
  ): void {
    const pointers = arrays.map(() => 0);
    for (let start = 0; start < n4; start += CHUNK) {
      const count = Math.min(CHUNK, n4 - start);
      arrays.forEach((array, k) => {
        if (!array) return;
        if (this.heap.isResident(array)) pointers[k] = array.byteOffset + start * 4;
        else {
          const scratch = this.scratch[k] as Float32Array;
          scratch.set(array.subarray(start, start + count));
          pointers[k] = scratch.byteOffset;
        }
      });
      body(pointers, count);
      arrays.forEach((array, k) => {
        if (array && outputs[k] && !this.heap.isResident(array)) array.set((this.scratch[k] as Float32Array).subarray(0, count), start);
      });
    }
  }

  allResident(arrays: Array<Float32Array | undefined>): boolean {
    return arrays.every((array) => array === undefined || this.heap.isResident(array));
  }

  /** Runs `name` over the first n4 elements of the arrays (pointer arguments first, then `count`, `extra` ints and `floats`). */
  dispatch(
    name: (typeof OPS)[number],
    arrays: Array<Float32Array | undefined>,
    outputs: boolean[],
    n4: number,
    extra: number[],
    floats: number[],
  ): void {
    if (this.allResident(arrays)) {
      this.parallel(
        name,
        n4,
        arrays.map((a) => (a ? a.byteOffset : 0)),
        extra,
        floats,
      );
    } else {
      const run = this.exports[name as keyof Exports] as (...args: number[]) => void;
      this.chunked(arrays, outputs, n4, (pointers, count) => run(...pointers, count, ...extra, ...floats));
    }
  }

  adam: AdamKernel = (args) => {
    const { param: p, grad: g, slots, scalars: s, flags: h } = args;
    const { expAvg: m, expAvgSq: v, maxExpAvgSq: vMax } = slots;
    if (!m || !v) throw new Error('adam kernel: missing slots');
    const n = p.length;
    const n4 = n - (n % 4);
    const reference = fusedKernels.adam as AdamKernel;
    if (n < 16) {
      // Tiny tensors (biases): the reference kernel costs less than the call.
      reference(args);
      return;
    }
    if (n4 > 0) {
      if (!h.maximize && !vMax && (!h.useWeightDecay || h.decoupledWeightDecay)) {
        // The common case without branches; Adam decays by 1 (exact).
        const f = floatArguments('adamPlain', s, h.useWeightDecay ? {} : { decayFactor: 1 });
        const heap = this.heap;
        if (
          (this.workers.length === 0 || n4 < this.minParallelLength) &&
          heap.isResident(p) &&
          heap.isResident(g) &&
          heap.isResident(m) &&
          heap.isResident(v)
        ) {
          // Resident, one thread: the call without the generic dispatch's allocations.
          this.exports.adamPlain(p.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, n4, ...f);
        } else {
          this.dispatch('adamPlain', [p, g, m, v], [true, false, true, true], n4, [], f);
        }
      } else {
        const flags = (h.maximize ? 1 : 0) | (h.useWeightDecay ? 2 : 0) | (h.decoupledWeightDecay ? 4 : 0) | (vMax ? 8 : 0);
        this.dispatch('adam', [p, g, m, v, vMax], [true, false, true, true, true], n4, [flags], floatArguments('adam', s));
      }
    }
    if (n4 < n) tail(reference, args, n4);
  };

  sgd: SgdKernel = (args) => {
    const { param: p, grad: g, slots, scalars: s, flags: h } = args;
    const buffer = slots.momentumBuffer;
    const n = p.length;
    const n4 = n - (n % 4);
    const reference = fusedKernels.sgd as SgdKernel;
    if (n < 16) {
      reference(args);
      return;
    }
    const flags = (h.maximize ? 1 : 0) | (h.useWeightDecay ? 2 : 0) | (h.nesterov ? 4 : 0) | (h.useDampening ? 8 : 0) | (buffer ? 16 : 0);
    if (n4 > 0) {
      // Plain momentum (the common case) without branches.
      if (flags === 16) this.dispatch('sgdMomentum', [p, g, buffer], [true, false, true], n4, [], floatArguments('sgdMomentum', s));
      else this.dispatch('sgd', [p, g, buffer], [true, false, true], n4, [flags], floatArguments('sgd', s));
    }
    if (n4 < n) tail(reference, args, n4);
  };

  /** The index of the first NaN or infinity in a resident array, or -1 (a SIMD scan). */
  firstNonFinite(x: Float32Array): number {
    const n4 = x.length - (x.length % 4);
    const block = this.exports.firstNonFinite(x.byteOffset, n4);
    const from = block < 0 ? n4 : block;
    for (let i = from; i < x.length; i += 1) if (!Number.isFinite(x[i] as number)) return i;
    return -1;
  }

  /** Whether a resident array holds a NaN or an infinity (a SIMD scan split across the threads). */
  anyNonFinite(x: Float32Array): boolean {
    const n4 = x.length - (x.length % 4);
    Atomics.store(this.i32, NON_FINITE_FLAG, 0);
    this.parallel('anyNonFinite', n4, [x.byteOffset], [CONTROL + NON_FINITE_FLAG * 4], []);
    if (Atomics.load(this.i32, NON_FINITE_FLAG) !== 0) return true;
    for (let i = n4; i < x.length; i += 1) if (!Number.isFinite(x[i] as number)) return true;
    return false;
  }

  stream(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array): void {
    if (!this.allResident([p, g, m, v])) throw new Error('fast kernels: stream needs resident arrays');
    this.dispatch('stream', [p, g, m, v], [true, false, true, true], p.length - (p.length % 4), [], []);
  }

  /** The relu kernels in SIMD over [0, n - n mod 4), the rest by the reference (split across the threads when long). */
  relu: ReluKernels = {
    forward: (args) => {
      const { input, output } = args;
      if (output.length !== input.length)
        throw new RangeError(`fast.relu.forward output must hold ${input.length} values, got ${output.length}`);
      const n4 = input.length - (input.length % 4);
      if (n4 > 0) this.dispatch('relu', [input, output], [false, true], n4, [], []);
      if (n4 < input.length) referenceRelu.forward({ input: input.subarray(n4), output: output.subarray(n4) });
    },
    backward: (args) => {
      const { gradient, input, output } = args;
      if (gradient.length !== output.length || input.length !== output.length)
        throw new RangeError(
          `fast.relu.backward gradient, input and output must have one length, got ${gradient.length}, ${input.length} and ${output.length}`,
        );
      const n4 = output.length - (output.length % 4);
      if (n4 > 0) this.dispatch('reluBackward', [gradient, input, output], [false, false, true], n4, [], []);
      if (n4 < output.length)
        referenceRelu.backward({ gradient: gradient.subarray(n4), input: input.subarray(n4), output: output.subarray(n4) });
    },
  };

  /** Operand blocks of `matmul`, kept between calls (grown when too small). */
  private operands: Float32Array[] = [];

  /** The operand block `index`, at least `length` floats (reallocated when smaller). */
  private operand(index: number, length: number): Float32Array {
    const current = this.operands[index];
    if (current && current.length >= length) return current;
    if (current) this.heap.release(current);
    const block = this.heap.allocate(Math.max(length, Math.ceil((current?.length ?? 0) * 1.25)));
    this.operands[index] = block;
    return block;
  }

  /**
   * The dense-layer product (bit-for-bit `fusedReferenceMatmul` in the relaxed-SIMD build, else
   * `referenceMatmul`): operands in this memory used in
   * place, others copied in (and c back out), rows split across the threads (in pairs, each thread with whole rows, so every
   * element is summed in the same order), the result copied back.
   */
  matmul: Matmul = (args) => {
    checkMatmulArgs(args);
    const { c, a, b, rows, depth, columns, aRowStride, aDepthStride } = args;
    if (rows === 0 || columns === 0 || depth === 0) return;
    const cLength = rows * columns;
    const aLength = (rows - 1) * aRowStride + (depth - 1) * aDepthStride + 1;
    const bLength = depth * columns;
    // Operands already in this memory (fast.allocate: an Mlp's parameters and gradients) are
    // used in place; the others are copied into operand blocks. The kernel may read up to 12
    // bytes past the last row of c and b, so those need 16 bytes of memory after them.
    const inPlace = (array: Float32Array, length: number, room: number): boolean =>
      this.heap.isResident(array) && array.byteOffset + (length + room) * 4 <= this.memory.buffer.byteLength;
    const cInPlace = inPlace(c, cLength, 4);
    const aInPlace = inPlace(a, aLength, 0);
    const bInPlace = inPlace(b, bLength, 4);
    let cBlock = c;
    let aBlock = a;
    let bBlock = b;
    try {
      if (!cInPlace) cBlock = this.operand(0, cLength + 4);
      if (!aInPlace) aBlock = this.operand(1, aLength);
      if (!bInPlace) bBlock = this.operand(2, bLength + 4);
    } catch (error) {
      // A full fixed memory (fixedMemoryBytes): the matching reference gives the same result.
      if (this.heap.fixed) {
        (this.fused ? fusedReferenceMatmul : referenceMatmul)(args);
        return;
      }
      throw error;
    }
    if (!cInPlace) cBlock.set(c.subarray(0, cLength));
    if (!aInPlace) aBlock.set(a.subarray(0, aLength));
    if (!bInPlace) bBlock.set(b.subarray(0, bLength));
    const parts = this.workers.length + 1;
    // Parallel only when each thread gets at least ~64K multiply-adds and two rows (a 128x256x10
    // output layer: 60 us on one thread, 38 us on two).
    const chunk = Math.max(2, Math.ceil(rows / (parts * 4) / 2) * 2);
    if (parts === 1 || rows * depth * columns < 65536 * parts || chunk >= rows) {
      this.exports.matmulAccumulate(
        cBlock.byteOffset,
        aBlock.byteOffset,
        bBlock.byteOffset,
        rows,
        depth,
        columns,
        aRowStride,
        aDepthStride,
      );
    } else {
      this.parallel(
        'matmulRows',
        rows,
        [0],
        [cBlock.byteOffset, aBlock.byteOffset, bBlock.byteOffset, depth, columns, aRowStride, aDepthStride],
        [],
        chunk,
      );
    }
    if (!cInPlace) c.set(cBlock.subarray(0, cLength));
  };

  /** The SIMD kernels for SGD, Adam and AdamW, the reference kernels for the other optimizers. */
  table(): KernelTable {
    return { ...fusedKernels, sgd: this.sgd, adam: this.adam, adamW: this.adam };
  }
}

function residentOps(engine: Engine, allocate: (length: number) => Float32Array, minLength: number, fixed: boolean): Ops<Float32Array> {
  // A full fixed memory gives ordinary arrays (the kernels stream them through the scratch area).
  const place = (length: number): Float32Array => {
    if (length < minLength) return new Float32Array(length);
    if (!fixed) return allocate(length);
    try {
      return allocate(length);
    } catch {
      return new Float32Array(length);
    }
  };
  return {
    ...float32Ops,
    firstNonFinite: (x) => (x.length >= 1024 && engine.heap.isResident(x) ? engine.firstNonFinite(x) : float32Ops.firstNonFinite(x)),
    // The runner's per-step gradient check: NaN when some element is not finite, else 0 (a SIMD
    // scan on every thread instead of a float64 sum for resident gradients).
    nonFiniteProbe: (x) =>
      x.length >= 1024 && engine.heap.isResident(x) ? Float32Array.of(engine.anyNonFinite(x) ? NaN : 0) : float32Ops.sum(x),
    zerosLike: (x) => place(x.length),
    fullLike: (x, value) => place(x.length).fill(value[0] as number),
  };
}

/**
 * `createFastKernels` on a platform: Node's worker threads (the Node entry) or none (the
 * browser entry). Everything else, memory and kernels, is the same code on both.
 * @internal
 */
export async function createFastKernelsOn(platform: ThreadPlatform, options: FastKernelOptions = {}): Promise<FastKernels> {
  const { fixedMemoryBytes } = options;
  let fixedPages: number | undefined;
  if (fixedMemoryBytes !== undefined) {
    if (
      typeof fixedMemoryBytes !== 'number' ||
      !Number.isSafeInteger(fixedMemoryBytes) ||
      fixedMemoryBytes < 0 ||
      fixedMemoryBytes > MAX_PAGES * PAGE - HEAP
    ) {
      throw new RangeError(
        `createFastKernels options.fixedMemoryBytes must be an integer in [0, ${MAX_PAGES * PAGE - HEAP}], got ${String(fixedMemoryBytes)}`,
      );
    }
    if (options.threads !== undefined && options.threads !== 1) {
      throw new RangeError(
        `createFastKernels options.threads must be 1 with fixedMemoryBytes (worker threads need shared memory), got ${String(options.threads)}`,
      );
    }
    fixedPages = (HEAP + Math.ceil(fixedMemoryBytes / PAGE) * PAGE) / PAGE;
  }
  const { fusedMultiplyAdd } = options;
  if (fusedMultiplyAdd !== undefined && typeof fusedMultiplyAdd !== 'boolean') {
    throw new TypeError(`createFastKernels options.fusedMultiplyAdd must be true, false or undefined, got ${String(fusedMultiplyAdd)}`);
  }
  if (fusedMultiplyAdd === true && !fusedMultiplyAddSupported()) {
    throw new RangeError(
      'createFastKernels options.fusedMultiplyAdd is true, but this runtime has no fused relaxed-SIMD multiply-add ' +
        '(f32x4.relaxed_madd does not validate, as on Node 20, or the self-check found it unfused); leave it undefined to use the emulation',
    );
  }
  const fused = fusedMultiplyAdd ?? fusedMultiplyAddSupported();
  const module = compile(fixedPages === undefined, fused);
  if (!module) {
    return {
      kernels: fusedKernels,
      ops: float32Ops,
      matmul: referenceMatmul,
      relu: referenceRelu,
      threads: 1,
      simd: false,
      fusedMultiplyAdd: false,
      fixedMemory: fixedPages !== undefined,
      allocate: (length) => new Float32Array(length),
      from: (values) => Float32Array.from(values),
      isResident: () => false,
      release: () => {},
      close: async () => {},
      stream: (p, g, m, v) => {
        for (let i = 0; i < p.length; i += 1) {
          const gi = g[i] as number;
          m[i] = (m[i] as number) + gi;
          v[i] = (v[i] as number) + gi;
          p[i] = (p[i] as number) - gi;
        }
      },
    };
  }
  const engine = new Engine(module, fixedPages, fused);
  if (options.minParallelLength !== undefined) engine.minParallelLength = options.minParallelLength;
  if (options.parallelChunkLength !== undefined) engine.minChunk = Math.max(16, Math.ceil(options.parallelChunkLength / 16) * 16);
  let threads = fixedPages === undefined ? (options.threads ?? platform.defaultThreads()) : 1;
  threads = Math.max(1, Math.min(MAX_WORKERS + 1, platform.maxThreads, Math.floor(threads)));
  await engine.startWorkers(threads - 1, platform);
  const allocate = (length: number): Float32Array => engine.heap.allocate(length);
  return {
    kernels: engine.table(),
    matmul: engine.matmul,
    relu: engine.relu,
    ops: residentOps(engine, allocate, options.minResidentLength ?? 256, fixedPages !== undefined),
    threads,
    simd: true,
    fusedMultiplyAdd: fused,
    fixedMemory: fixedPages !== undefined,
    allocate,
    from: (values) => {
      const array = allocate(values.length);
      array.set(values);
      return array;
    },
    isResident: (array) => engine.heap.isResident(array),
    release: (array) => engine.heap.release(array),
    close: () => engine.close(),
    stream: (p, g, m, v) => engine.stream(p, g, m, v),
  };
}

let shared: KernelTable | undefined;

/** The kernels of one engine over an ordinary memory, made on first use. */
function sharedTable(): KernelTable {
  if (!shared) {
    // Only the scratch area is used, so an ordinary memory (no SharedArrayBuffer needed) will do.
    const module = compilePrivate();
    shared = module ? new Engine(module, HEAP / PAGE, fusedMultiplyAddSupported()).table() : fusedKernels;
  }
  return shared;
}

/**
 * A ready-made kernel table: the SIMD kernels for `sgd`, `adam` and `adamW` on this thread
 * (Float32Arrays of any origin, streamed through a cache-sized scratch area), the
 * reference {@link fusedKernels} for the others and wherever WebAssembly SIMD is missing
 * (`SharedArrayBuffer` is not needed).
 * Bit-for-bit equal to `fusedKernels`. For in-place updates and threads, use
 * {@link createFastKernels}.
 *
 * @example
 * ```ts
 * const runner = new OptimizerRunner({ optimizer: adam(), ops: float32Ops, params, kernels: fastKernels });
 * ```
 */
export const fastKernels: KernelTable = {
  ...fusedKernels,
  // The WebAssembly module is compiled on the first update, not at import.
  sgd: (args) => (sharedTable().sgd as SgdKernel)(args),
  adam: (args) => (sharedTable().adam as AdamKernel)(args),
  adamW: (args) => (sharedTable().adamW as AdamKernel)(args),
};
