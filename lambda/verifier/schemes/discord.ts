import { createPublicKey, type KeyObject } from 'node:crypto';
import { ERROR_CODES } from '../../shared/contract';
import { anyKeyVerifies, cachedKeyParser, decodeHex } from '../crypto';
import { isRejection, reject, type HandshakeReply, type SignatureScheme } from './types';
import { verifySecondsTimestamp } from '../timestamps';
import { missingEventId, parseJsonBody, readPath, readString } from '../payload';

const SIGNATURE_HEADER = 'X-Signature-Ed25519';
const TIMESTAMP_HEADER = 'X-Signature-Timestamp';
/** DER SubjectPublicKeyInfo header for a raw 32-byte Ed25519 key (RFC 8410). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PING = 1;
/** Interaction types, by number, as Discord names them. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'PING',
  2: 'APPLICATION_COMMAND',
  3: 'MESSAGE_COMPONENT',
  4: 'APPLICATION_COMMAND_AUTOCOMPLETE',
  5: 'MODAL_SUBMIT',
};

/**
 * Options for Discord; none yet. Each configured "secret" is the application's PUBLIC key, as
 * the developer portal shows it: 64 hex characters.
 */
export type DiscordOptions = Record<string, never>;

/**
 * Discord interactions: Ed25519 over `timestamp + rawBody`; `X-Signature-Ed25519` (hex) and
 * `X-Signature-Timestamp` (Unix seconds). Stricter than discord-interactions, which checks no
 * timestamp: it must be within the window, in either direction.
 *
 * A PING (type 1) is answered with `{"type":1}`, only once its signature verifies: Discord sends
 * unsigned and wrongly signed PINGs on purpose, and refuses an endpoint that answers them.
 * The event type is the interaction type's name, followed by the command name for commands and
 * autocompletion (`APPLICATION_COMMAND.deploy`), so processors can subscribe per command.
 * This is the Interactions Endpoint URL format; Discord's separate "Webhook Events" URL (PING is
 * type 0, answered 204, no top-level `id`) is not supported.
 */
export const discordScheme: SignatureScheme<DiscordOptions> = {
  id: 'discord',
  requiredHeaders: () => [SIGNATURE_HEADER, TIMESTAMP_HEADER],
  verify(request, context) {
    const header = request.header(SIGNATURE_HEADER);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${SIGNATURE_HEADER} header`);
    const signature = decodeHex(header.trim());
    if (signature?.length !== 64) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${SIGNATURE_HEADER} is not 128 hex characters`);

    const timestamp = request.header(TIMESTAMP_HEADER);
    if (timestamp === undefined) return reject(401, ERROR_CODES.MALFORMED_TIMESTAMP, `missing ${TIMESTAMP_HEADER} header`);
    const checked = verifySecondsTimestamp(timestamp, context.nowMs, context.toleranceSeconds);
    if (isRejection(checked)) return checked;

    const keys = context.secrets.map(publicKey).filter((key): key is KeyObject => key !== undefined);
    if (keys.length === 0) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'no configured key is an Ed25519 public key (64 hex characters)');
    const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.body]);
    if (!anyKeyVerifies(null, signed, keys, signature)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');

    const parsed = parseJsonBody(request.body);
    if (isRejection(parsed)) return parsed;
    const id = readString(parsed.value, 'id');
    if (id === undefined) return missingEventId('the body field "id"');
    const kind = readPath(parsed.value, 'type');
    if (typeof kind !== 'number' || !Number.isInteger(kind)) return reject(400, ERROR_CODES.MALFORMED_BODY, 'the body field "type" is not an integer');

    const event = { id, type: typeName(kind, readString(parsed.value, 'data.name')), payload: parsed.value, acknowledgement: deferredReply(kind) };
    if (kind === PING) return { ok: true, event, handshake: { statusCode: 200, contentType: 'application/json', body: '{"type":1}' } };
    return { ok: true, event };
  },
};

/**
 * Discord needs an interaction response within 3 s, before any processor runs: a deferred one lets
 * the processor answer later through the interaction's follow-up webhook.
 */
function deferredReply(kind: number): HandshakeReply | undefined {
  const type = DEFERRED_RESPONSE[kind];
  return type === undefined ? undefined : { statusCode: 200, contentType: 'application/json', body: JSON.stringify(kind === 4 ? { type, data: { choices: [] } } : { type }) };
}

/** Interaction type → response type: deferred message (5), deferred update (6), empty autocomplete (8). */
const DEFERRED_RESPONSE: Readonly<Record<number, number>> = { 2: 5, 3: 6, 4: 8, 5: 5 };

function typeName(kind: number, command: string | undefined): string {
  const name = TYPE_NAMES[kind] ?? `TYPE_${kind}`;
  return command !== undefined && (kind === 2 || kind === 4) ? `${name}.${command}` : name;
}



/** The application's public key (64 hex characters) as a KeyObject; undefined when it is not one. */
const publicKey = cachedKeyParser((text) => {
  const raw = decodeHex(text.trim());
  if (raw?.length !== 32) return undefined;
  try {
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
});
