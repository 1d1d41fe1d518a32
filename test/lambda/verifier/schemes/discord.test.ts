import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as signData, type KeyObject } from 'node:crypto';
import { verifyKey } from 'discord-interactions';
import { discordScheme } from '../../../../lambda/verifier/schemes/discord';
import { context, inbound } from '../../../support/requests';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 key pair from a 32-byte seed; the public half as Discord shows it (64 hex characters). */
function keyPair(seed: Buffer): { privateKey: KeyObject; publicHex: string } {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicHex: spki.subarray(spki.length - 32).toString('hex') };
}
const APP = keyPair(Buffer.alloc(32, 0x07));
const OTHER = keyPair(Buffer.alloc(32, 0x08));

const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;
const command = JSON.stringify({ id: '1170000000000000001', type: 2, data: { id: '99', name: 'deploy' }, guild_id: '42' });
const ping = JSON.stringify({ id: '1170000000000000000', type: 1, application_id: '7' });

function sign(payload: string, timestamp = String(NOW_S), privateKey = APP.privateKey): string {
  return signData(null, Buffer.from(timestamp + payload), privateKey).toString('hex');
}

/** `null` leaves a header out. */
function verify(payload: string, signature: string | null, timestamp: string | null = String(NOW_S), keys = [APP.publicHex], nowMs = NOW_MS) {
  const headers: Record<string, string> = {};
  if (signature !== null) headers['X-Signature-Ed25519'] = signature;
  if (timestamp !== null) headers['X-Signature-Timestamp'] = timestamp;
  return discordScheme.verify(inbound({ body: payload, headers }), context(keys, nowMs), {});
}

describe('discord scheme', () => {
  test('the key pair from seed 32×0x07 has the reference public key', () => {
    expect(APP.publicHex).toMatch(/^ea4a6c63[0-9a-f]{52}d22c$/);
  });

  test('what we sign by hand is accepted by discord-interactions and by the scheme', async () => {
    const signature = sign(command);
    await expect(verifyKey(command, signature, String(NOW_S), APP.publicHex)).resolves.toBe(true);
    await expect(verifyKey(command, signature, String(NOW_S), OTHER.publicHex)).resolves.toBe(false);
    expect(verify(command, signature)).toEqual({
      ok: true,
      event: {
        id: '1170000000000000001',
        type: 'APPLICATION_COMMAND.deploy',
        payload: JSON.parse(command),
        // Discord wants an interaction response within 3 s: the verifier defers, the processor follows up.
        acknowledgement: { statusCode: 200, contentType: 'application/json', body: '{"type":5}' },
      },
    });
  });

  test('answers a verified PING with {"type":1} as JSON', () => {
    expect(verify(ping, sign(ping))).toEqual({
      ok: true,
      event: { id: '1170000000000000000', type: 'PING', payload: JSON.parse(ping) },
      handshake: { statusCode: 200, contentType: 'application/json', body: '{"type":1}' },
    });
  });

  test('answers no PING that is unsigned, wrongly signed or out of the window (Discord probes this)', () => {
    expect(verify(ping, null)).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
    expect(verify(ping, sign(ping, String(NOW_S), OTHER.privateKey))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(ping, '0'.repeat(128))).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(ping, sign(ping, String(NOW_S - 301)), String(NOW_S - 301))).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
  });

  test('rejects a tampered body, a tampered timestamp and a wrong key', () => {
    expect(verify(command.replace('deploy', 'destroy'), sign(command))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(command, sign(command), String(NOW_S + 1))).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(command, sign(command), String(NOW_S), [OTHER.publicHex])).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('stricter than discord-interactions: stale and future timestamps are refused, the SDK accepts both', async () => {
    for (const ts of [String(NOW_S - 301), String(NOW_S + 301)]) {
      const signature = sign(command, ts);
      expect(verify(command, signature, ts)).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
      await expect(verifyKey(command, signature, ts, APP.publicHex)).resolves.toBe(true);
    }
    expect(verify(command, sign(command, String(NOW_S + 300)), String(NOW_S + 300))).toMatchObject({ ok: true });
  });

  test('refuses a missing or malformed timestamp header', () => {
    expect(verify(command, sign(command), null)).toMatchObject({ ok: false, status: 401, code: 'malformed_timestamp' });
    expect(verify(command, sign(command, 'soon'), 'soon')).toMatchObject({ ok: false, code: 'malformed_timestamp' });
  });

  test('refuses malformed signature headers: short, long, not hex', () => {
    const good = sign(command);
    for (const signature of ['', good.slice(2), `${good}00`, `${good.slice(1)}g`]) {
      expect(verify(command, signature)).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
  });

  test('tries every configured key; malformed keys are skipped, and only malformed keys is a clean rejection', () => {
    const signature = sign(command);
    const invalid = ['', 'not hex', APP.publicHex.slice(2), `${APP.publicHex}00`, generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString()];
    expect(verify(command, signature, String(NOW_S), [...invalid, OTHER.publicHex, APP.publicHex])).toMatchObject({ ok: true });
    for (const key of invalid) {
      expect(verify(command, signature, String(NOW_S), [key])).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
      expect(verify(command, signature, String(NOW_S), [key])).toMatchObject({ ok: false, code: 'bad_signature' });
    }
  });

  test('names interaction types; commands and autocompletion carry the command name', () => {
    const cases: [unknown, string][] = [
      [{ id: 'a', type: 2, data: { name: 'deploy' } }, 'APPLICATION_COMMAND.deploy'],
      [{ id: 'a', type: 2 }, 'APPLICATION_COMMAND'],
      [{ id: 'a', type: 3, data: { custom_id: 'btn', name: 'x' } }, 'MESSAGE_COMPONENT'],
      [{ id: 'a', type: 4, data: { name: 'deploy' } }, 'APPLICATION_COMMAND_AUTOCOMPLETE.deploy'],
      [{ id: 'a', type: 5, data: { custom_id: 'form' } }, 'MODAL_SUBMIT'],
      [{ id: 'a', type: 9 }, 'TYPE_9'],
    ];
    for (const [interaction, type] of cases) {
      const payload = JSON.stringify(interaction);
      expect(verify(payload, sign(payload))).toMatchObject({ ok: true, event: { type } });
      expect(verify(payload, sign(payload))).not.toHaveProperty('handshake');
    }
  });

  test('after a valid signature, a body that is not JSON, has no id or no integer type is a 400', () => {
    const cases: [string, string][] = [
      ['not json', 'malformed_body'],
      ['{"type":2}', 'missing_event_id'],
      ['{"id":"a"}', 'malformed_body'],
      ['{"id":"a","type":"1"}', 'malformed_body'],
      ['{"id":"a","type":1.5}', 'malformed_body'],
    ];
    for (const [payload, code] of cases) {
      expect(verify(payload, sign(payload))).toMatchObject({ ok: false, status: 400, code });
    }
  });

  test('requires the signature and timestamp headers: the construct makes them required request parameters of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // missing either is refused at the gateway (400) and never invokes the verifier. An empty list would drop that.
    expect(discordScheme.requiredHeaders({})).toEqual(['X-Signature-Ed25519', 'X-Signature-Timestamp']);
  });

  const MALFORMED = 'X-Signature-Ed25519 is not 128 hex characters';
  const NOT_SECONDS = 'timestamp is not a whole number of seconds';
  const NO_KEY = 'no configured key is an Ed25519 public key (64 hex characters)';
  const good = sign(command);
  test.each<[string, string | null, string | null, string[], string, string]>([
    ['no signature header', null, String(NOW_S), [APP.publicHex], 'missing_signature', 'missing X-Signature-Ed25519 header'],
    ['an empty signature header', '', String(NOW_S), [APP.publicHex], 'malformed_signature', MALFORMED],
    // Hex of the wrong size is malformed, not a mismatch: only 64 bytes are an Ed25519 signature.
    ['a signature one byte short', good.slice(2), String(NOW_S), [APP.publicHex], 'malformed_signature', MALFORMED],
    ['a signature one byte long', `${good}00`, String(NOW_S), [APP.publicHex], 'malformed_signature', MALFORMED],
    ['a signature of 127 hex characters', good.slice(1), String(NOW_S), [APP.publicHex], 'malformed_signature', MALFORMED],
    ['128 characters that are not all hex', `${good.slice(1)}g`, String(NOW_S), [APP.publicHex], 'malformed_signature', MALFORMED],
    ['no timestamp header', good, null, [APP.publicHex], 'malformed_timestamp', 'missing X-Signature-Timestamp header'],
    ['an empty timestamp header', sign(command, ''), '', [APP.publicHex], 'malformed_timestamp', NOT_SECONDS],
    ['a timestamp that is not a number', sign(command, 'soon'), 'soon', [APP.publicHex], 'malformed_timestamp', NOT_SECONDS],
    ['a timestamp with a fraction', sign(command, `${NOW_S}.0`), `${NOW_S}.0`, [APP.publicHex], 'malformed_timestamp', NOT_SECONDS],
    // Milliseconds (13 digits) are the wrong unit: refused as malformed rather than read as a far-future time.
    ['a timestamp in milliseconds', sign(command, String(NOW_MS)), String(NOW_MS), [APP.publicHex], 'malformed_timestamp', NOT_SECONDS],
    ['a timestamp 301 s old', sign(command, String(NOW_S - 301)), String(NOW_S - 301), [APP.publicHex], 'timestamp_out_of_window', 'signed timestamp is 301 s old; tolerance is 300 s'],
    ['a timestamp 301 s in the future', sign(command, String(NOW_S + 301)), String(NOW_S + 301), [APP.publicHex], 'timestamp_out_of_window', 'signed timestamp is 301 s in the future; tolerance is 300 s'],
    // Unusable keys are skipped; when none is left the detail says so rather than "does not match".
    ['only a key of 31 bytes configured', good, String(NOW_S), [APP.publicHex.slice(2)], 'bad_signature', NO_KEY],
    // 33 bytes would still parse as DER (the extra byte is ignored) and verify as the first 32: refused by length.
    ['only a key of 33 bytes configured', good, String(NOW_S), [`${APP.publicHex}00`], 'bad_signature', NO_KEY],
    ['only a key that is not hex configured', good, String(NOW_S), ['not hex'], 'bad_signature', NO_KEY],
    ['a signature made with another key', sign(command, String(NOW_S), OTHER.privateKey), String(NOW_S), [APP.publicHex], 'bad_signature', 'signature does not match'],
  ])('%s is a 401 whose detail names the problem', (_case, signature, timestamp, keys, code, detail) => {
    expect(verify(command, signature, timestamp, keys)).toEqual({ ok: false, status: 401, code, detail });
  });

  test('timestamps exactly at the tolerance are accepted in both directions', () => {
    for (const ts of [String(NOW_S - 300), String(NOW_S + 300)]) expect(verify(command, sign(command, ts), ts)).toMatchObject({ ok: true });
  });

  test('the signature header and the configured key are read trimmed (a key pasted with a line break still works)', () => {
    expect(verify(command, ` ${good} `)).toMatchObject({ ok: true });
    expect(verify(command, good, String(NOW_S), [` ${APP.publicHex}\n`])).toMatchObject({ ok: true });
  });

  /** Signs exact bytes (for bodies that are not UTF-8 text). */
  const signBytes = (payload: Buffer) => signData(null, Buffer.concat([Buffer.from(String(NOW_S)), payload]), APP.privateKey).toString('hex');
  const NOT_INTEGER = 'the body field "type" is not an integer';
  test.each<[string, string | Buffer, string, string]>([
    ['a body that is not JSON', 'not json', 'malformed_body', 'body is not valid JSON'],
    ['a body that is not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'malformed_body', 'body is not valid UTF-8'],
    ['an interaction without id', '{"type":2}', 'missing_event_id', 'no event ID found in the body field "id"'],
    ['an interaction with an empty id', '{"id":"","type":2}', 'missing_event_id', 'no event ID found in the body field "id"'],
    ['an interaction without type', '{"id":"a"}', 'malformed_body', NOT_INTEGER],
    ['a type given as a string', '{"id":"a","type":"1"}', 'malformed_body', NOT_INTEGER],
    ['a type that is not whole', '{"id":"a","type":1.5}', 'malformed_body', NOT_INTEGER],
    ['a null type', '{"id":"a","type":null}', 'malformed_body', NOT_INTEGER],
  ])('after a valid signature, %s is a 400 whose detail names the problem', (_case, payload, code, detail) => {
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    const verdict = discordScheme.verify(inbound({ body: bytes, headers: { 'X-Signature-Ed25519': signBytes(bytes), 'X-Signature-Timestamp': String(NOW_S) } }), context([APP.publicHex], NOW_MS), {});
    expect(verdict).toEqual({ ok: false, status: 400, code, detail });
  });

  const deferred = (body: string) => ({ statusCode: 200, contentType: 'application/json', body });
  test.each<[string, Record<string, unknown>, string, ReturnType<typeof deferred> | undefined]>([
    // Commands and modal submits get a deferred channel message (5): the processor follows up with the content.
    ['a command without a name', { id: 'c', type: 2 }, 'APPLICATION_COMMAND', deferred('{"type":5}')],
    // A component interaction gets a deferred update (6): the message it sits on is edited later.
    ['a component click', { id: 'c', type: 3, data: { custom_id: 'btn', name: 'x' } }, 'MESSAGE_COMPONENT', deferred('{"type":6}')],
    // Autocompletion cannot be deferred: it is answered at once with no choices (8).
    ['an autocompletion', { id: 'c', type: 4, data: { name: 'deploy' } }, 'APPLICATION_COMMAND_AUTOCOMPLETE.deploy', deferred('{"type":8,"data":{"choices":[]}}')],
    ['a modal submit', { id: 'c', type: 5, data: { custom_id: 'form' } }, 'MODAL_SUBMIT', deferred('{"type":5}')],
    // An interaction type this scheme does not know gets no response of its own: the verifier's default.
    ['an unknown interaction type', { id: 'c', type: 9, data: { name: 'x' } }, 'TYPE_9', undefined],
  ])('%s is accepted with its type and the response Discord needs within 3 s', (_case, interaction, type, acknowledgement) => {
    const payload = JSON.stringify(interaction);
    expect(verify(payload, sign(payload))).toEqual({ ok: true, event: { id: 'c', type, payload: interaction, acknowledgement } });
  });
});
