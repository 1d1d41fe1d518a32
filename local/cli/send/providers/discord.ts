import { sign } from 'node:crypto';
import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import type { SigningTime } from '../support/clock';
import { describeRequest, offsetNote } from '../support/describe';
import { SendInputError } from '../support/errors';
import { JSON_CONTENT_TYPE } from '../support/headers';
import { jsonBytes, parseJson, readField } from '../support/json';
import { ed25519PrivateKey, ed25519PublicHex } from '../support/keys';
import { BASE64URL, type Random } from '../support/random';

/** Interaction types by the names the endpoint routes on. */
const INTERACTION_TYPES: Readonly<Record<string, number>> = {
  PING: 1,
  APPLICATION_COMMAND: 2,
  MESSAGE_COMPONENT: 3,
  APPLICATION_COMMAND_AUTOCOMPLETE: 4,
  MODAL_SUBMIT: 5,
};
const TYPE_NAMES = Object.fromEntries(Object.entries(INTERACTION_TYPES).map(([name, kind]) => [kind, name])) as Readonly<Record<number, string>>;
const DEFAULT_COMMAND = 'hello';
/** Discord's epoch (2015-01-01), the origin of snowflake timestamps. */
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

/**
 * Discord interactions: Ed25519 over `timestamp + body`, the signature in hex
 * (`X-Signature-Ed25519`) beside `X-Signature-Timestamp`. The endpoint holds the application's
 * public key; `input.secret` is the private one. Event types are the interaction type names, with
 * the command for commands and autocompletion: `PING`, `APPLICATION_COMMAND.deploy` (or `/deploy`),
 * `MESSAGE_COMPONENT`, `APPLICATION_COMMAND_AUTOCOMPLETE.deploy`, `MODAL_SUBMIT`.
 */
export const discordSender: ProviderSender = {
  id: 'discord',
  name: 'Discord',
  defaultEventType: `APPLICATION_COMMAND.${DEFAULT_COMMAND}`,
  exampleEventTypes: ['PING', 'APPLICATION_COMMAND.deploy', 'MESSAGE_COMPONENT', 'APPLICATION_COMMAND_AUTOCOMPLETE.deploy', 'MODAL_SUBMIT'],
  handshakeEventType: 'PING',
  keyPair: 'ed25519',
  signsTimestamp: () => true,
  build(context: BuildContext): BuiltRequest {
    const { input, at } = context;
    const privateKey = ed25519PrivateKey(input.secret);
    const body = input.body ?? jsonBytes(interaction(context, parseEventType(context.eventType)));
    const timestamp = String(at.seconds);
    const signature = sign(null, Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), privateKey).toString('hex');
    const parsed = parseJson(body);
    const eventId = readField(parsed, 'id');
    const eventType = typeName(parsed);
    return {
      headers: {
        'Content-Type': JSON_CONTENT_TYPE,
        'User-Agent': 'Discord-Interactions/1.0 (+https://discord.com)',
        'X-Signature-Ed25519': signature,
        'X-Signature-Timestamp': timestamp,
      },
      body,
      eventId,
      eventType,
      description: describeRequest('Discord', eventType, eventId, `Ed25519 over timestamp ${timestamp} + body; verifies with public key ${ed25519PublicHex(privateKey)}${offsetNote(context)}`),
      ...(eventType === 'PING' ? { expectedReply: { statusCode: 200, body: '{"type":1}' } } : {}),
    };
  },
};

interface RequestedInteraction {
  readonly kind: number;
  readonly command: string;
}

/** `PING`, `ping` or `1`; `APPLICATION_COMMAND[.name]` or `/name`; the other type names. */
function parseEventType(eventType: string): RequestedInteraction {
  if (eventType.startsWith('/')) return { kind: 2, command: eventType.slice(1) || DEFAULT_COMMAND };
  const [name, ...rest] = eventType.split('.');
  const kind = /^\d+$/.test(name) ? Number(name) : INTERACTION_TYPES[name.toUpperCase()];
  if (kind === undefined || TYPE_NAMES[kind] === undefined) {
    throw new SendInputError(`unknown Discord interaction type ${JSON.stringify(eventType)}; use one of ${Object.keys(INTERACTION_TYPES).join(', ')} (commands as APPLICATION_COMMAND.<name> or /<name>)`);
  }
  return { kind, command: rest.join('.') || DEFAULT_COMMAND };
}

/** The name the endpoint routes on: the type's name, plus the command for commands and autocompletion. */
function typeName(parsed: unknown): string | undefined {
  const kind = (parsed as { type?: unknown } | undefined)?.type;
  if (typeof kind !== 'number') return undefined;
  const name = TYPE_NAMES[kind] ?? `TYPE_${kind}`;
  const command = readField(parsed, 'data.name');
  return command !== undefined && (kind === 2 || kind === 4) ? `${name}.${command}` : name;
}

/** Snowflakes: milliseconds since Discord's epoch, shifted left 22 bits, over worker, process and sequence bits. */
function snowflake(at: SigningTime, random: Random): string {
  return ((BigInt(at.ms) - DISCORD_EPOCH_MS) << 22n | BigInt(random.integer(0, (1 << 22) - 1))).toString();
}

function interaction(context: BuildContext, requested: RequestedInteraction): Record<string, unknown> {
  const { input, random, at } = context;
  const id = input.eventId ?? snowflake(at, random);
  const applicationId = snowflake({ ...at, ms: at.ms - 400 * 86_400_000 }, random);
  const token = `aW50ZXJhY3Rpb246${random.chars(160, BASE64URL)}`;
  const user = { id: snowflake({ ...at, ms: at.ms - 900 * 86_400_000 }, random), username: 'mona', global_name: 'Mona', avatar: random.hex(32), discriminator: '0', public_flags: 0 };
  if (requested.kind === 1) {
    return { app_permissions: '562949953601536', application_id: applicationId, authorizing_integration_owners: {}, entitlements: [], id, token, type: 1, user, version: 1 };
  }
  const guildId = snowflake({ ...at, ms: at.ms - 600 * 86_400_000 }, random);
  const channelId = snowflake({ ...at, ms: at.ms - 500 * 86_400_000 }, random);
  return {
    app_permissions: '2248473465835073',
    application_id: applicationId,
    authorizing_integration_owners: { 0: guildId },
    channel: { id: channelId, name: 'general', type: 0, guild_id: guildId },
    channel_id: channelId,
    context: 0,
    data: interactionData(requested, random, at),
    entitlements: [],
    guild: { id: guildId, features: [], locale: 'en-US' },
    guild_id: guildId,
    guild_locale: 'en-US',
    id,
    locale: 'en-US',
    member: { user, roles: [], joined_at: new Date(at.ms - 500 * 86_400_000).toISOString(), nick: null, permissions: '2248473465835073', deaf: false, mute: false, flags: 0 },
    token,
    type: requested.kind,
    version: 1,
  };
}

function interactionData(requested: RequestedInteraction, random: Random, at: SigningTime): Record<string, unknown> {
  const commandId = snowflake({ ...at, ms: at.ms - 30 * 86_400_000 }, random);
  switch (requested.kind) {
    case 2: return { id: commandId, name: requested.command, type: 1, options: [{ name: 'environment', type: 3, value: 'staging' }] };
    case 3: return { custom_id: 'approve_deploy', component_type: 2 };
    case 4: return { id: commandId, name: requested.command, type: 1, options: [{ name: 'environment', type: 3, value: 'sta', focused: true }] };
    default: return { custom_id: 'feedback_modal', components: [{ type: 1, components: [{ type: 4, custom_id: 'feedback', value: 'Works for me' }] }] };
  }
}
