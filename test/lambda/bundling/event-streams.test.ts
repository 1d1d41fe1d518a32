import { resolveEventStreamSerdeConfig as sdkResolveEventStreamSerdeConfig } from '@smithy/core/event-streams';
import { NormalizedSchema } from '@smithy/core/schema';
import { EVENT_STREAMS_NOT_BUNDLED, EventStreamSerde, eventStreamSerdeProvider, resolveEventStreamSerdeConfig } from '../../../lambda/bundling/event-streams';

/**
 * The handler bundles' stand-in for `@smithy/core/event-streams` (lambda/bundling/event-streams.ts):
 * no bundled client can send an event-stream operation, and one that tried would be refused with a
 * message rather than stream.
 */
type Schema = Parameters<typeof NormalizedSchema.of>[0];

/** The operations of a client package (its exported operation schemas) whose input or output is an event stream. */
function eventStreamOperations(clientPackage: string): { operations: number; streaming: string[] } {
  const exported = require(clientPackage) as Record<string, unknown>;
  const operations = Object.entries(exported).filter(([name, value]) => name.endsWith('$') && Array.isArray(value) && value[0] === 9) as Array<[string, unknown[]]>;
  const streaming = operations
    .filter(([, [, , , , input, output]]) => [input, output].some((shape) => NormalizedSchema.of(shape as Schema).getEventStreamMember() !== ''))
    .map(([name]) => name.slice(0, -1));
  return { operations: operations.length, streaming };
}

describe('which operations the stub takes away', () => {
  test.each(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/client-secrets-manager'])('%s has no event-stream operation at all', (clientPackage) => {
    const { operations, streaming } = eventStreamOperations(clientPackage);
    expect(operations).toBeGreaterThan(10);
    expect(streaming).toEqual([]);
  });

  test('of Lambda\'s, only InvokeWithResponseStream streams; the rotation handler sends Invoke', () => {
    expect(eventStreamOperations('@aws-sdk/client-lambda').streaming).toEqual(['InvokeWithResponseStream']);
  });
});

describe('the stub', () => {
  test('resolves a client\'s marshaller from its provider, as the SDK\'s resolver does', () => {
    const marshaller = { serialize: jest.fn(), deserialize: jest.fn() };
    const config = () => ({ region: 'us-east-1', eventStreamSerdeProvider: jest.fn(() => marshaller) });
    const ours = config();
    const theirs = config();
    expect(resolveEventStreamSerdeConfig(ours)).toBe(ours);
    expect(sdkResolveEventStreamSerdeConfig(theirs)).toBe(theirs);
    expect(ours).toEqual({ ...theirs, eventStreamSerdeProvider: ours.eventStreamSerdeProvider });
    expect(ours.eventStreamSerdeProvider).toHaveBeenCalledWith(ours);
  });

  test('refuses to serialize, deserialize or build the serde of an event stream, saying why', () => {
    const marshaller = eventStreamSerdeProvider({});
    expect(() => marshaller.serialize((async function* () {})(), () => ({ headers: {}, body: new Uint8Array() }))).toThrow(EVENT_STREAMS_NOT_BUNDLED);
    expect(() => marshaller.deserialize(new Uint8Array() as never, async () => ({}))).toThrow(EVENT_STREAMS_NOT_BUNDLED);
    expect(() => new EventStreamSerde({})).toThrow(EVENT_STREAMS_NOT_BUNDLED);
  });
});
