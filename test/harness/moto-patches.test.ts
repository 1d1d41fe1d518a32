import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MOTO_PATCHES, motoPython } from '../../local/moto';

/**
 * Moto's SQS model, driven in one Python process, with one thread paused at an exact point by a
 * hook (no timing, no load): the interleaving that lost an accepted webhook event in the load
 * scenario (SendMessage answered 200, the poller never received the message, the queue ended
 * empty, nothing in the dead-letter queue).
 *
 * The moto server runs each request on its own thread. `Queue.delete_message` scans the message
 * list and assigns back a rebuilt copy; the scan calls Python code per message, so the GIL can
 * pass to another request thread in the middle of it. Step by step:
 *   1. three messages are received (two pollers' batches hold `first` and `second`);
 *   2. poller A's DeleteMessage(first) scans the list and is paused at its last message;
 *   3. poller B's DeleteMessage(second) runs to the end: the list is now [first, third];
 *   4. the verifier's SendMessage(fourth) appends to that list and answers 200;
 *   5. A resumes and assigns its copy, built from the list of step 2: [second, third].
 * `fourth` is gone and `second`, deleted, is back.
 */
const SCRIPT = String.raw`
import json, os, threading
patches = os.environ.get('HW_MOTO_PATCHES')
if patches:
    exec(patches, {'__name__': 'hw_moto_patches'})
from moto.sqs import models
backend = models.sqs_backends['123456789012']['us-east-1']
QUEUE = 'hw-interleave.fifo'
queue = backend.create_queue(QUEUE, FifoQueue='true', VisibilityTimeout='300')
def send(name):
    backend.send_message(QUEUE, name, deduplication_id=name, group_id=name)
for name in ('first', 'second', 'third'):
    send(name)
handles = {message.body: message.receipt_handle for message in backend.receive_message(QUEUE, 10, 0, 300)}
last = queue._messages[-1]
paused, resume = threading.Event(), threading.Event()
state = {'thread': None, 'hit': False}
original = models.Message.had_receipt_handle
def hooked(self, handle):
    # Pause poller A's delete when its scan reaches the last message (once).
    if threading.current_thread() is state['thread'] and self is last and not state['hit']:
        state['hit'] = True
        paused.set()
        resume.wait()
    return original(self, handle)
models.Message.had_receipt_handle = hooked
deleter = threading.Thread(target=lambda: backend.delete_message(QUEUE, handles['first']))
state['thread'] = deleter
deleter.start()
paused.wait()
backend.delete_message(QUEUE, handles['second'])
send('fourth')
resume.set()
deleter.join()
print(json.dumps({'received': sorted(handles), 'remaining': [message.body for message in queue._messages]}))
`;

async function interleave(patches: string | undefined): Promise<{ received: string[]; remaining: string[] }> {
  const { stdout } = await promisify(execFile)(motoPython(), ['-c', SCRIPT], {
    env: { ...process.env, ...(patches ? { HW_MOTO_PATCHES: patches } : {}) },
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as { received: string[]; remaining: string[] };
}

describe('moto patches: SQS DeleteMessage overlapping another delete and a send', () => {
  test('unpatched moto loses the message sent meanwhile and brings the other deleted message back (why the patch exists)', async () => {
    // If this starts failing after a moto upgrade, moto fixed the race and the patch can go.
    const { received, remaining } = await interleave(undefined);
    expect(received).toEqual(['first', 'second', 'third']);
    expect(remaining).toEqual(['second', 'third']);
  });

  test('with MOTO_PATCHES (what the test server runs): both deletes take effect and the sent message stays', async () => {
    const { remaining } = await interleave(MOTO_PATCHES);
    expect(remaining).toEqual(['third', 'fourth']);
  });
});
