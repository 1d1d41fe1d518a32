import type { Random } from './support/random';
import type { SigningTime } from './support/clock';
import type { ExpectedReply, SendInput, SendOptions } from './types';

/** Everything a provider needs to build one request, resolved once by `buildSignedRequest`. */
export interface BuildContext {
  readonly input: SendInput;
  readonly options: SendOptions;
  /** `input.eventType`, or the provider's default. */
  readonly eventType: string;
  /** Seeded from `input.eventId` when given, so the request is reproducible; fresh otherwise. */
  readonly random: Random;
  /** The clock (`input.now`, else the time of the call), epoch milliseconds. */
  readonly nowMs: number;
  /** When the provider "sends" the event: the clock plus the offset. */
  readonly at: SigningTime;
  /** Where the request is POSTed. */
  readonly url: string;
  /** The URL the provider signs (Twilio, Square). */
  readonly signedUrl: string;
}

/** What a provider builds; `buildSignedRequest` adds the method and, unless the provider changed it, the URL. */
export interface BuiltRequest {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly eventId?: string;
  readonly eventType?: string;
  readonly description: string;
  /** Set when the provider adds to the URL it POSTs to (Twilio's `bodySHA256`). */
  readonly url?: string;
  readonly expectedReply?: ExpectedReply;
}

export interface ProviderSender {
  /** The verifier scheme's ID (lambda/verifier/schemes/index.ts). */
  readonly id: string;
  /** The provider's name, for messages. */
  readonly name: string;
  /** The {@link SendOptions} this provider reads; `send` refuses any other, so a misspelt option is never silently ignored. */
  readonly options?: ReadonlyArray<keyof SendOptions>;
  readonly defaultEventType: string;
  /** Event types worth offering (`--event` help); any other is accepted too, with a generic payload. */
  readonly exampleEventTypes: readonly string[];
  /** The `eventType` that makes the provider's handshake, if it has one. */
  readonly handshakeEventType?: string;
  /** Key pair the provider signs with, when the endpoint holds a public key rather than a shared secret. */
  readonly keyPair?: 'ed25519' | 'p256';
  /** Whether the signature covers a timestamp the endpoint holds to its tolerance window. */
  signsTimestamp(options: SendOptions): boolean;
  build(context: BuildContext): BuiltRequest;
}
