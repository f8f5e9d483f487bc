/**
 * Where the CLI writes its output: the part of a Node.js `Writable` (such as
 * `process.stdout`) that {@link OutputWriter} uses. Test fakes implement it
 * too.
 */
export interface OutputStream {
  /**
   * Queues `chunk` and calls `callback` once it is written, with the error
   * if it could not be (a Node.js system error: `code: 'EPIPE'`,
   * `'ENOSPC'`, ...). Returns `false` when the caller should wait for
   * `'drain'` before writing more. May also throw.
   */
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
  /** Calls `listener` once, the next time the stream can take more writes. */
  once(event: 'drain', listener: () => void): unknown;
  /** Removes a `'drain'` listener added with {@link OutputStream.once}. */
  removeListener(event: 'drain', listener: () => void): unknown;
}

/** Writing the output failed; `code` is the system error code (`EPIPE`, `ENOSPC`, ...) when there is one. */
export class OutputError extends Error {
  /** The Node.js error code, e.g. `"ENOSPC"`, or `undefined`. */
  readonly code: string | undefined;

  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'OutputError';
    const code = (cause as { code?: unknown } | null)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** Options of {@link OutputWriter}. */
export interface OutputWriterOptions {
  /** Text is collected into chunks of about this many characters before it is written. Default 64 Ki. */
  readonly chunkSize?: number;
}

/** The default {@link OutputWriterOptions.chunkSize}. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

/**
 * Streams text to an {@link OutputStream} in chunks, with backpressure: it
 * keeps at most one chunk in flight, waits for `'drain'` whenever `write()`
 * returns `false`, and turns the first write error (thrown, or passed to a
 * write callback) into an {@link OutputError} that every later call rejects
 * with, so the producer stops at once.
 *
 * @example
 * ```ts
 * const writer = new OutputWriter(process.stdout);
 * for (const line of lines) await writer.write(line);
 * await writer.end();
 * ```
 */
export class OutputWriter {
  readonly #stream: OutputStream;
  readonly #chunkSize: number;
  #buffer = '';
  #failure: OutputError | undefined;
  /** Settles when the chunk in flight is written or failed. */
  #inFlight: Promise<void> = Promise.resolve();
  /** Wakes a pending wait for `'drain'` when a write fails instead. */
  #wake: (() => void) | undefined;

  constructor(stream: OutputStream, options: OutputWriterOptions = {}) {
    this.#stream = stream;
    this.#chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  /** Adds `text` to the output, writing a chunk when enough has collected. Rejects with {@link OutputError}. */
  async write(text: string): Promise<void> {
    this.#throwIfFailed();
    this.#buffer += text;
    if (this.#buffer.length >= this.#chunkSize) await this.#flush();
  }

  /** Writes what is left and waits until all of it is written. Rejects with {@link OutputError}. */
  async end(): Promise<void> {
    await this.#flush();
    await this.#inFlight;
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  #fail(error: unknown): void {
    this.#failure ??= new OutputError(error);
    this.#wake?.();
  }

  async #flush(): Promise<void> {
    await this.#inFlight;
    this.#throwIfFailed();
    if (this.#buffer === '') return;
    const chunk = this.#buffer;
    this.#buffer = '';
    let settle = (): void => {};
    this.#inFlight = new Promise<void>((resolve) => {
      settle = resolve;
    });
    let ready = true;
    try {
      ready = this.#stream.write(chunk, (error) => {
        if (error) this.#fail(error);
        settle();
      });
    } catch (error) {
      this.#fail(error);
      settle();
    }
    this.#throwIfFailed();
    if (!ready) await this.#drain();
    this.#throwIfFailed();
  }

  /** Waits for `'drain'`, or for a write to fail. */
  async #drain(): Promise<void> {
    let listener = (): void => {};
    await new Promise<void>((resolve) => {
      listener = resolve;
      this.#wake = resolve;
      this.#stream.once('drain', listener);
    });
    this.#wake = undefined;
    this.#stream.removeListener('drain', listener);
  }
}
