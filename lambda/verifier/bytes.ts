/** Below this many bytes a loop beats `Buffer#copy`, whose call costs about as much as copying 40 bytes. */
const LOOP_COPY_LIMIT = 32;

/** Copies `source[start, end)` into `target` from `at`; returns the offset after the copy. */
export function copyBytes(source: Buffer, start: number, end: number, target: Buffer, at: number): number {
  if (end - start >= LOOP_COPY_LIMIT) return at + source.copy(target, at, start, end);
  let next = at;
  for (let i = start; i < end; i++) target[next++] = source[i];
  return next;
}

/**
 * `bytes`, once the number of bytes written proves its size was computed right: a buffer from
 * `allocUnsafe` sized too large would carry stale memory into whatever is derived from it.
 */
export function filled(bytes: Buffer, written: number): Buffer {
  if (written !== bytes.length) throw new Error(`internal error: ${written} bytes written to a buffer of ${bytes.length}`);
  return bytes;
}
