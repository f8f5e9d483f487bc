import type { CliIO } from './run.js';

/** A problem with an input file (exit status 1); the message already names the input. */
export class InputError extends Error {}

async function readStdin(stdin: AsyncIterable<string | Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** The text of a file, or of stdin for `-`; a problem is an {@link InputError} naming the file. */
export async function readInputText(source: string, io: CliIO): Promise<string> {
  if (source === '-') return readStdin(io.stdin);
  try {
    return await io.readFile(source);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') throw new InputError(`${source}: no such file`);
    if (code === 'EISDIR') throw new InputError(`${source}: is a directory, not a file to read`);
    throw new InputError(`${source}: cannot read (${(error as Error).message})`);
  }
}
