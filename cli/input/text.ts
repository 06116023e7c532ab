import { readFile } from 'node:fs/promises';

/**
 * How the CLI reads a file a person saved as text: `classify`'s exports, `explain`'s captures and
 * `--config` files alike.
 */

/**
 * A file that starts with a UTF-16 byte order mark, decoded: PowerShell's `>` (Windows PowerShell 5)
 * writes UTF-16LE with a BOM, which read as UTF-8 is full of NULs and was called binary.
 */
export function utf16Text(data: Buffer): string | undefined {
  if (data[0] === 0xff && data[1] === 0xfe)
    return data.subarray(2, data.length - (data.length % 2)).toString('utf16le');
  if (data[0] === 0xfe && data[1] === 0xff)
    return Buffer.from(data.subarray(2, data.length - (data.length % 2)))
      .swap16()
      .toString('utf16le');
  return undefined;
}

/** UTF-8 text without the byte order mark an editor or `Out-File -Encoding utf8` put first. */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A text file's content: UTF-16 when it starts with a UTF-16 byte order mark, else UTF-8; no byte order mark. */
export function decodeText(data: Buffer): string {
  return withoutBom(utf16Text(data) ?? data.toString('utf8'));
}

/**
 * A text file a person wrote (a `--config` cdk.json): UTF-8 with or without the byte order mark a
 * Windows editor puts first, or UTF-16 with its byte order mark (decoded, as inputs and captures are).
 */
export async function readTextFile(path: string): Promise<string> {
  return decodeText(await readFile(path));
}
