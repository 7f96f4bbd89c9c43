import type { FileHandle } from 'node:fs/promises';

/** Bytes of a file's start that format and prefix detection look at. */
export const SAMPLE_BYTES = 256 * 1024;

/**
 * The whole lines of a file's first bytes (at most `limit`): what the format and prefix are detected from when
 * reading starts later in the file (a followed log, a byte range of a split one). undefined for an empty file.
 */
export async function headSample(handle: FileHandle, limit: number): Promise<string[] | undefined> {
  const head = Buffer.alloc(Math.min(SAMPLE_BYTES, limit));
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  if (bytesRead === 0) return undefined;
  const text = head.toString('utf8', 0, bytesRead);
  // Only whole lines: the last one may be cut by the sample's end.
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
}
