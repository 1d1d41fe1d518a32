import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * The handler bundles' stand-in for `node:fs/promises` in the SDK's shared config file loader and
 * container credential provider (lambda/bundling/fs-promises.ts): it answers as `fs/promises`
 * answers, and loads it only when there is a file to read.
 */
type Shim = typeof import('../../../lambda/bundling/fs-promises');

function freshShim(): Shim {
  let shim: Shim | undefined;
  jest.isolateModules(() => {
    shim = require('../../../lambda/bundling/fs-promises') as Shim;
  });
  return shim as Shim;
}

/** What a read settles to, as data: the value, or the error's name, code, errno, syscall, path and message. */
async function outcome(read: Promise<unknown>): Promise<unknown> {
  try {
    const value = await read;
    return { value: Buffer.isBuffer(value) ? `buffer:${value.toString('utf8')}` : value };
  } catch (error) {
    const { name, code, errno, syscall, path: at, message } = error as NodeJS.ErrnoException;
    return { error: { name, code, errno, syscall, path: at, message } };
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hw-fs-promises-'));
  writeFileSync(path.join(dir, 'config'), '[default]\nregion = eu-west-1\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a missing file is refused as fs/promises refuses it (ENOENT, ENOTDIR), without loading fs/promises', async () => {
  const shim = freshShim();
  for (const missing of [path.join(dir, 'absent'), path.join(dir, 'no-such-dir', 'config'), path.join(dir, 'config', 'under-a-file'), '~/.aws/config']) {
    expect(await outcome(shim.readFile(missing, 'utf8'))).toEqual(await outcome(fsPromises.readFile(missing, 'utf8')));
  }
  expect(shim.loaded()).toBe(false);
});

test('a file that exists is read by fs/promises itself, as text or bytes', async () => {
  const shim = freshShim();
  const file = path.join(dir, 'config');
  expect(await outcome(shim.readFile(file, 'utf8'))).toEqual({ value: '[default]\nregion = eu-west-1\n' });
  expect(await outcome(shim.readFile(file))).toEqual(await outcome(fsPromises.readFile(file)));
  expect(shim.loaded()).toBe(true);
});

test('any other answer is fs/promises\' own (a directory: EISDIR; a path given as a Buffer)', async () => {
  const shim = freshShim();
  expect(await outcome(shim.readFile(dir, 'utf8'))).toEqual(await outcome(fsPromises.readFile(dir, 'utf8')));
  const asBuffer = Buffer.from(path.join(dir, 'config'));
  expect(await outcome(shim.readFile(asBuffer, 'utf8'))).toEqual(await outcome(fsPromises.readFile(asBuffer, 'utf8')));
});

test('the default export has readFile, as `import fs from "node:fs/promises"` uses it (the container credential provider)', async () => {
  const shim = freshShim();
  expect(await outcome(shim.default.readFile(path.join(dir, 'config'), 'utf8'))).toEqual({ value: '[default]\nregion = eu-west-1\n' });
});
