import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/**
 * A file's bytes as the CLI reads them: a block at a time (a multi-GB export never held whole),
 * inflated when gzip, decoded by its byte order mark.
 */

const BLOCK_BYTES = 1024 * 1024;

/**
 * The blocks of a file. The first is read before this returns, so a file that cannot be read (missing,
 * a directory, no permission) fails here, before any of it is counted.
 */
export async function fileBlocks(path: string): Promise<AsyncGenerator<Buffer>> {
  const handle = await open(path, 'r');
  const read = async (): Promise<Buffer> => {
    const buffer = Buffer.allocUnsafe(BLOCK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, BLOCK_BYTES, null);
    return buffer.subarray(0, bytesRead);
  };
  let first: Buffer;
  try {
    first = await read();
  } catch (error) {
    await handle.close();
    throw error;
  }
  return (async function* () {
    try {
      for (let block = first; block.length > 0; block = await read()) yield block;
    } finally {
      await handle.close();
    }
  })();
}

/** Blocks of standard input, or of what a test gives in its place. */
export async function* streamBlocks(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  for await (const chunk of stream) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

/** The first `bytes` bytes of `blocks` (fewer when it is shorter), and all of it again from the start. */
export async function peek(
  blocks: AsyncIterator<Buffer>,
  bytes: number,
): Promise<{ head: Buffer; all: AsyncGenerator<Buffer> }> {
  const seen: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await blocks.next();
    if (next.done) {
      done = true;
      break;
    }
    seen.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(seen);
  return {
    head: head.subarray(0, bytes),
    all: (async function* () {
      if (head.length > 0) yield head;
      if (done) return;
      for (let next = await blocks.next(); !next.done; next = await blocks.next()) yield next.value;
    })(),
  };
}

export function isGzip(head: Buffer): boolean {
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** How a gzip stream ended: whole, cut short (an interrupted download), or not gzip data past some point. */
export type GzipEnd = 'whole' | 'truncated' | 'corrupt';

/** The inflated blocks of a gzip stream; `onEnd` hears how it ended once the last block is out. */
export async function* gunzipBlocks(
  blocks: AsyncIterable<Buffer>,
  onEnd: (end: GzipEnd) => void,
): AsyncGenerator<Buffer> {
  const inflater = createGunzip();
  // A read error of the file reaches the inflater, and so the loop below.
  pipeline(Readable.from(blocks), inflater).catch(() => undefined);
  try {
    for await (const block of inflater) yield block as Buffer;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR') return onEnd('truncated');
    if (code?.startsWith('Z_')) return onEnd('corrupt');
    throw error;
  }
  onEnd('whole');
}

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/**
 * UTF-16 when the text starts with its byte order mark (Windows PowerShell 5's `>` writes UTF-16LE),
 * else UTF-8.
 */
export function encodingOf(head: Buffer): Encoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

/** Decoded text, piece by piece, without the byte order mark; a character cut between blocks is kept whole. */
export async function* decodeBlocks(
  blocks: AsyncIterable<Buffer>,
  encoding: Encoding,
): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding === 'utf-8' ? 'utf-8' : 'utf-16le');
  let odd: Buffer | undefined;
  for await (const block of blocks) {
    let bytes = block;
    if (encoding === 'utf-16be') {
      const joined = odd ? Buffer.concat([odd, block]) : block;
      const even = joined.length - (joined.length % 2);
      odd = joined.subarray(even);
      bytes = Buffer.from(joined.subarray(0, even)).swap16();
    }
    const text = decoder.decode(bytes, { stream: true });
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

/** The text again in pieces of `chars` characters (the last one shorter), whatever the sizes it came in. */
export async function* pieces(texts: AsyncIterable<string>, chars: number): AsyncGenerator<string> {
  let held = '';
  for await (const text of texts) {
    held += text;
    while (held.length >= chars) {
      yield held.slice(0, chars);
      held = held.slice(chars);
    }
  }
  if (held !== '') yield held;
}
