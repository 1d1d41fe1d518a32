import { createPrivateKey } from 'node:crypto';
import { verifyKey } from 'discord-interactions';
import { buildSignedRequest, generateKeyPair, type SendInput } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

const PAIR = generateKeyPair('discord');
const SEED_07 = '07'.repeat(32);

function send(overrides: Partial<SendInput> = {}) {
  return buildSignedRequest('discord', { url: URL, secret: PAIR.privateKey, now: NOW_MS, ...overrides });
}

function sdkAccepts(request: ReturnType<typeof send>, publicKey = PAIR.publicKey): Promise<boolean> {
  return verifyKey(request.body, request.headers['X-Signature-Ed25519'], request.headers['X-Signature-Timestamp'], publicKey);
}

describe('send discord', () => {
  test('discord-interactions verifyKey accepts a command and a PING with the generated public key, and refuses another', async () => {
    await expect(sdkAccepts(send())).resolves.toBe(true);
    await expect(sdkAccepts(send({ eventType: 'PING' }))).resolves.toBe(true);
    await expect(sdkAccepts(send(), generateKeyPair('discord').publicKey)).resolves.toBe(false);
  });

  test.each([
    ['/deploy', 2, 'APPLICATION_COMMAND.deploy'],
    ['ping', 1, 'PING'],
    ['MESSAGE_COMPONENT', 3, 'MESSAGE_COMPONENT'],
    ['APPLICATION_COMMAND_AUTOCOMPLETE.deploy', 4, 'APPLICATION_COMMAND_AUTOCOMPLETE.deploy'],
    ['5', 5, 'MODAL_SUBMIT'],
  ])('event type %s is interaction type %d, which the endpoint routes as %s', (eventType, kind, routed) => {
    const request = send({ eventType });
    expect(JSON.parse(request.body.toString('utf8'))).toMatchObject({ type: kind, id: request.eventId, application_id: expect.stringMatching(/^\d{17,20}$/), token: expect.any(String) });
    expect(acceptedEvent(verifyRequest('discord', request, { secrets: [PAIR.publicKey] })).type).toBe(routed);
  });

  test('interaction IDs are snowflakes of the signing time', () => {
    const id = BigInt(send().eventId ?? '0');
    expect(Number((id >> 22n) + 1_420_070_400_000n)).toBe(NOW_MS);
  });

  test('an unknown interaction type is an input error listing the known ones', () => {
    expect(() => send({ eventType: 'GUILD_CREATE' })).toThrow(/unknown Discord interaction type "GUILD_CREATE"; use one of PING, APPLICATION_COMMAND/);
  });

  test('the reference key (seed 32×0x07) is accepted as a hex seed, as a NaCl secret key and as PEM, and signs for the reference public key', async () => {
    const pem = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(SEED_07, 'hex')]), format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
    const requests = [SEED_07, `${SEED_07}${'ab'.repeat(32)}`, pem].map((secret) => send({ secret, eventId: '1' }));
    const publicKey = /public key ([0-9a-f]{64})/.exec(requests[0].description)?.[1] ?? '';
    expect(publicKey).toMatch(/^ea4a6c63[0-9a-f]{52}d22c$/);
    expect(new Set(requests.map((request) => request.headers['X-Signature-Ed25519'])).size).toBe(1);
    await expect(sdkAccepts(requests[0], publicKey)).resolves.toBe(true);
    expect(acceptedEvent(verifyRequest('discord', requests[0], { secrets: [publicKey] })).id).toBe('1');
  });

  test('a PEM public key instead of the private one is an input error that says what to pass', () => {
    const publicPem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw=\n-----END PUBLIC KEY-----\n';
    expect(() => send({ secret: publicPem })).toThrow(/not an Ed25519 PRIVATE key: it is a public key/);
  });
});
