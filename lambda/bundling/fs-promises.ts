/**
 * Stands in for `node:fs/promises` in the two SDK modules of the handler bundles that import it
 * (an esbuild plugin, lambda/bundling/esbuild-options.cjs): the shared config file loader
 * (`~/.aws/config`, `~/.aws/credentials`, or the files `AWS_CONFIG_FILE` and
 * `AWS_SHARED_CREDENTIALS_FILE` name) and the container credential provider (the file
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` names). Both only read files, and only on a request.
 *
 * Why: Node's `fs/promises` (with the readline and file-handle modules it loads) was an eighth of
 * the time the verifier spent loading Node built-ins at every cold start, for files a Lambda
 * function does not have (BENCHMARKS.md, B3). It is loaded here on the first read of a file that
 * exists; a file that does not exist is refused as `fs/promises` refuses it (the same `ENOENT`
 * error), without loading it. So the SDK still reads every configuration file it read before, and
 * a function without them never loads `fs/promises`.
 */
import { statSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';

let fsPromises: typeof FsPromises | undefined;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (): typeof FsPromises => (fsPromises ??= require('node:fs/promises') as typeof FsPromises);

/**
 * The error `fs/promises` would reject a read of `path` with when nothing is there (ENOENT, or
 * ENOTDIR when a parent is a file); `undefined` when something is, or for any other answer, which
 * is left to `fs/promises`.
 */
function absent(path: string): NodeJS.ErrnoException | undefined {
  try {
    statSync(path);
    return undefined;
  } catch (error) {
    const { code, errno, message } = error as NodeJS.ErrnoException;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    return Object.assign(new Error(message.replace(/, stat '/, ", open '")), { errno, code, syscall: 'open', path });
  }
}

/** `fs/promises.readFile`, which loads `fs/promises` only when there is something at the path (or it is not a string). */
export function readFile(...args: Parameters<typeof FsPromises.readFile>): ReturnType<typeof FsPromises.readFile> {
  const [path] = args;
  const error = typeof path === 'string' ? absent(path) : undefined;
  if (error) return Promise.reject(error);
  return load().readFile(...args);
}

/** Whether `fs/promises` has been loaded (for the tests). */
export function loaded(): boolean {
  return fsPromises !== undefined;
}

export default { readFile };
