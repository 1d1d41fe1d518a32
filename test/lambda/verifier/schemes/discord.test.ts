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

  test('requires both headers', () => {
    expect(discordScheme.requiredHeaders({})).toEqual(['X-Signature-Ed25519', 'X-Signature-Timestamp']);
  });
});
