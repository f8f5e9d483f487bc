import { describe, expect, it } from 'vitest';
import { OutputError, OutputWriter, type OutputStream } from './output.js';

/** A scripted stream: `respond` decides what each write returns and how its callback is called. */
function scriptedStream(respond: (index: number, callback: (error?: Error | null) => void) => boolean) {
  const drainListeners: (() => void)[] = [];
  const stream = {
    chunks: [] as string[],
    drain(): void {
      for (const listener of drainListeners.splice(0)) listener();
    },
    write(chunk: string, callback: (error?: Error | null) => void): boolean {
      stream.chunks.push(chunk);
      return respond(stream.chunks.length - 1, callback);
    },
    once(_event: 'drain', listener: () => void): void {
      drainListeners.push(listener);
    },
    removeListener(_event: 'drain', listener: () => void): void {
      const index = drainListeners.indexOf(listener);
      if (index !== -1) drainListeners.splice(index, 1);
    },
    get waiting(): number {
      return drainListeners.length;
    },
  } satisfies OutputStream & Record<string, unknown>;
  return stream;
}

const systemError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe('OutputWriter', () => {
  it('collects text into chunks of about chunkSize and writes the rest at end()', async () => {
    const stream = scriptedStream((_, callback) => {
      callback();
      return true;
    });
    const writer = new OutputWriter(stream, { chunkSize: 10 });
    for (const piece of ['abc', 'defg', 'hijk', 'lm', 'n']) await writer.write(piece);
    expect(stream.chunks).toEqual(['abcdefghijk']);
    await writer.end();
    expect(stream.chunks).toEqual(['abcdefghijk', 'lmn']);
  });

  it('waits for drain when write() returns false, and writes nothing meanwhile', async () => {
    const stream = scriptedStream((_, callback) => {
      queueMicrotask(() => callback());
      return false;
    });
    const writer = new OutputWriter(stream, { chunkSize: 1 });
    let settled = false;
    const first = writer.write('a').then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect({ settled, chunks: stream.chunks, waiting: stream.waiting }).toEqual({ settled: false, chunks: ['a'], waiting: 1 });
    stream.drain();
    await first;
    expect(stream.waiting).toBe(0);
    const second = writer.write('b');
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.chunks).toEqual(['a', 'b']);
    stream.drain();
    await second;
    await writer.end();
  });

  it('a write error passed to the callback rejects the pending wait and every later call', async () => {
    const stream = scriptedStream((_, callback) => {
      setImmediate(() => callback(systemError('EPIPE', 'write EPIPE')));
      return false;
    });
    const writer = new OutputWriter(stream, { chunkSize: 1 });
    const failure = await writer.write('a').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OutputError);
    expect(failure).toMatchObject({ code: 'EPIPE', message: 'write EPIPE' });
    await expect(writer.write('b')).rejects.toBe(failure);
    await expect(writer.end()).rejects.toBe(failure);
    expect(stream.chunks).toEqual(['a']);
  });

  it('an error of the last chunk is caught by end()', async () => {
    const stream = scriptedStream((_, callback) => {
      setImmediate(() => callback(systemError('ENOSPC', 'ENOSPC: no space left on device, write')));
      return true;
    });
    const writer = new OutputWriter(stream);
    await writer.write('all of it');
    await expect(writer.end()).rejects.toMatchObject({ code: 'ENOSPC', message: 'ENOSPC: no space left on device, write' });
  });

  it('a write that throws is an OutputError too', async () => {
    const stream = scriptedStream(() => {
      throw systemError('EBADF', 'EBADF: bad file descriptor, write');
    });
    const writer = new OutputWriter(stream, { chunkSize: 1 });
    await expect(writer.write('a')).rejects.toMatchObject({ name: 'OutputError', code: 'EBADF' });
  });
});
