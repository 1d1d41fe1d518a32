/**
 * Stands in for `@smithy/core/event-streams` in the handler bundles (an esbuild alias,
 * lambda/bundling/esbuild-options.cjs): event streams are refused, with a message, instead of bundled.
 *
 * Why: every SDK protocol can load the event-stream serde with `import()`, for the operations whose
 * input or output is an event stream. The handlers call none (DynamoDB, SQS and Secrets Manager
 * have no such operation; the rotation handler's Lambda client sends `Invoke`, never
 * `InvokeWithResponseStream`), but that one `import()` made esbuild wrap nearly the whole SDK in
 * lazily initialised module functions and carry the codec, its CRC32 (and so `node:zlib`) and its
 * marshallers into every bundle: compiled at each cold start, never run (BENCHMARKS.md, B3).
 *
 * What a bundle loses: an event-stream operation, if a handler ever sends one, fails with the error
 * below instead of streaming. Nothing else reads this module.
 */
import type { EventStreamMarshaller, EventStreamSerdeProvider } from '@smithy/types';

export const EVENT_STREAMS_NOT_BUNDLED = 'event streams are not bundled into this handler (lambda/bundling/event-streams.ts): its AWS SDK clients can send no event-stream operation';

function refuse(): never {
  throw new Error(EVENT_STREAMS_NOT_BUNDLED);
}

/** What the SDK's protocols load before an event-stream operation; it cannot be built. */
export class EventStreamSerde {
  public constructor(_options?: unknown) {
    refuse();
  }
}

/** The marshaller a client keeps in its configuration: refuses to serialize or deserialize. */
export const eventStreamSerdeProvider: EventStreamSerdeProvider = () => ({ serialize: refuse, deserialize: refuse }) as EventStreamMarshaller;

/** As the SDK's own: resolves the client's `eventStreamMarshaller` from its provider. */
export function resolveEventStreamSerdeConfig<T extends { eventStreamSerdeProvider: EventStreamSerdeProvider }>(input: T): T & { eventStreamMarshaller: EventStreamMarshaller } {
  return Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });
}
