import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';

/** A running moto server on loopback. */
export interface MotoServer {
  /** e.g. `http://127.0.0.1:53211` */
  readonly endpoint: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Raised when the emulator cannot start: the suite fails with this message instead of skipping. */
export class EmulatorUnavailableError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorUnavailableError';
  }
}

const ROOT = path.join(__dirname, '..');

/** The moto_server binary installed by scripts/ensure-python-tools.sh. */
export function motoBinary(root = ROOT): string {
  return path.join(root, '.venv', 'bin', 'moto_server');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Fixes to moto applied in the server process before it starts (see {@link startMoto}):
 *
 * - SQS FIFO order after a visibility timeout. When several messages of one message group were
 *   received together and their visibility timeout expires, moto releases them from "in flight"
 *   one at a time while it scans the queue, so the group's *second* message is delivered before
 *   the first. SQS releases them all and delivers the group in order. The patch releases every
 *   expired in-flight message before the scan.
 * - SQS DeleteMessage lost concurrent sends. Moto's `Queue.delete_message` scans the queue's
 *   message list, builds a new list without the deleted message and assigns it back. The server
 *   runs each request on its own thread, and the scan yields the GIL (it calls Python code per
 *   message), so two deletes overlap: the later-finishing one assigns a list built from the old
 *   list, which drops every message another thread appended in the meantime (a SendMessage that
 *   answered 200 with a MessageId — the message is gone, never received, not in the dead-letter
 *   queue) and brings back the message the other delete removed (a redelivery). SQS loses
 *   nothing. The patch removes the matched messages from the live list in place. Reproduced step
 *   by step in test/harness/moto-patches.test.ts.
 * - Speed, no change in behaviour: moto's `unix_time()` builds datetimes to read the clock, and
 *   every SendMessage computes the queue's attributes three times, each scanning every message
 *   several times with that clock — so sending slows down as the queue grows (about 40 sends/s
 *   with 600 messages queued). The patch reads the clock with `time.time()` and counts a queue's
 *   messages in one pass with one clock reading.
 */
export const MOTO_PATCHES = `
import time as _time
from moto.core import utils as _moto_utils
_original_unix_time = _moto_utils.unix_time
def _fast_unix_time(dt=None):
    return _time.time() if dt is None else _original_unix_time(dt)
_moto_utils.unix_time = _fast_unix_time
from moto.sqs import models as _sqs_models
_sqs_models.unix_time = _fast_unix_time
def _queue_counts(queue):
    now = _time.time() * 1000.0
    visible = not_visible = delayed = 0
    for message in queue._messages:
        is_delayed = now < message.delayed_until
        if not now > message.visible_at:
            not_visible += 1
        elif not is_delayed:
            visible += 1
        if is_delayed:
            delayed += 1
    return visible, not_visible, delayed
_sqs_models.Queue.approximate_number_of_messages = property(lambda self: _queue_counts(self)[0])
_sqs_models.Queue.approximate_number_of_messages_not_visible = property(lambda self: _queue_counts(self)[1])
_sqs_models.Queue.approximate_number_of_messages_delayed = property(lambda self: _queue_counts(self)[2])
_original_receive_message = _sqs_models.SQSBackend.receive_message
def _receive_message_in_group_order(self, queue_name, *args, **kwargs):
    queue = self.get_queue(queue_name)
    for message in list(queue.pending_messages):
        if message.visible:
            queue.pending_messages.discard(message)
    return _original_receive_message(self, queue_name, *args, **kwargs)
_sqs_models.SQSBackend.receive_message = _receive_message_in_group_order
def _delete_message_in_place(self, receipt_handle):
    if receipt_handle in self.deleted_messages:
        return
    matched = [message for message in list(self._messages) if message.had_receipt_handle(receipt_handle)]
    if not matched:
        raise _sqs_models.ReceiptHandleIsInvalid()
    for message in matched:
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)
        try:
            self._messages.remove(message)
        except ValueError:
            pass
_sqs_models.Queue.delete_message = _delete_message_in_place
`;

/** The Python interpreter of the .venv that holds moto. */
export function motoPython(root = ROOT): string {
  return path.join(root, '.venv', 'bin', 'python');
}

/**
 * Starts moto server on a free loopback port and waits until it answers. With `patches` (the
 * default) the server runs with {@link MOTO_PATCHES} applied, through the virtualenv's Python:
 * `venv` when given, else the repository's `.venv` under `root`.
 */
export async function startMoto(options: { root?: string; venv?: string; timeoutMs?: number; patches?: boolean } = {}): Promise<MotoServer> {
  const binary = options.venv ? path.join(options.venv, 'bin', 'moto_server') : motoBinary(options.root);
  const python = options.venv ? path.join(options.venv, 'bin', 'python') : motoPython(options.root);
  if (!existsSync(binary)) {
    throw new EmulatorUnavailableError(`moto server is not installed at ${binary}. Run "bash scripts/ensure-python-tools.sh" (npm test does it).`);
  }
  const port = await freePort();
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  const [command, argv] = options.patches === false
    ? [binary, args]
    : [python, ['-c', `${MOTO_PATCHES}\nfrom moto.server import main\nmain()`, ...args]];
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' } });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new EmulatorUnavailableError(`moto server exited with code ${child.exitCode}: ${stderr}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new EmulatorUnavailableError(`moto server did not answer on ${endpoint} within the timeout: ${stderr}`);
  }
  return {
    endpoint,
    process: child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    }),
  };
}

/** Clears every resource in the emulator. */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
}
