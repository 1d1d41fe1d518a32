import { EndpointCache } from '@aws-sdk/endpoint-cache';
import * as fc from 'fast-check';
import LRUCache from '../../../lambda/bundling/lru-cache';

/**
 * The handler bundles' stand-in for `mnemonist/lru-cache` (lambda/bundling/lru-cache.ts), compared
 * with mnemonist's own cache operation by operation: what each call returns, and what the cache
 * then holds. Keys are strings, as the endpoint cache's are (JSON of the credentials and the
 * operation's identifiers).
 */
const Mnemonist = require('mnemonist/lru-cache') as new (capacity: number) => {
  size: number;
  has(key: string): boolean;
  peek(key: string): unknown;
  get(key: string): unknown;
  set(key: string, value: unknown): unknown;
  clear(): void;
};

type Operation =
  | { readonly op: 'set'; readonly key: string; readonly value: number }
  | { readonly op: 'get' | 'peek' | 'has'; readonly key: string }
  | { readonly op: 'clear' };

// A few more keys than the capacities tried, and mostly sets and gets, so that evictions follow uses often.
const KEYS = ['{"accessKeyId":"A"}', '{"accessKeyId":"B"}', '{"accessKeyId":"C"}', '{"accessKeyId":"D"}', '{"accessKeyId":"E"}'];
const key = fc.constantFrom(...KEYS);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: fc.integer() }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('get' as const), key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('peek' as const, 'has' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
);

/** What a cache answers and holds after each operation (holding: every key's value by peek, and the size). */
function trace(cache: InstanceType<typeof Mnemonist> | LRUCache<string, number>, operations: readonly Operation[]): unknown[] {
  return operations.map((o) => {
    let answer: unknown;
    if (o.op === 'set') cache.set(o.key, o.value);
    else if (o.op === 'clear') cache.clear();
    else answer = cache[o.op](o.key);
    return { answer, size: cache.size, held: KEYS.map((k) => (cache.has(k) ? cache.peek(k) : '-')) };
  });
}

test('answers and evicts as mnemonist\'s LRU cache does, for any sequence of operations', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(operation, { minLength: 10, maxLength: 80 }), (capacity, operations) => {
    expect(trace(new LRUCache<string, number>(capacity), operations)).toEqual(trace(new Mnemonist(capacity), operations));
  }), { numRuns: 500 });
});

test('evicts the least recently used key: a get is a use, a peek or has is not', () => {
  const cache = new LRUCache<string, number>(2);
  cache.set('a', 1);
  cache.set('b', 2);
  expect(cache.get('a')).toBe(1);
  cache.set('c', 3); // b is the least recently used
  expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
  expect(cache.peek('a')).toBe(1);
  cache.set('d', 4); // a was only peeked at since c: a goes
  expect([cache.has('a'), cache.has('c'), cache.has('d')]).toEqual([false, true, true]);
});

test('refuses a capacity that is not a positive number, as mnemonist does', () => {
  const builds = (make: () => unknown) => {
    try {
      make();
      return true;
    } catch {
      return false;
    }
  };
  for (const capacity of [0, -1, Number.NaN, '3' as unknown as number, 1, 1000]) {
    expect({ capacity, builds: builds(() => new LRUCache(capacity)) }).toEqual({ capacity, builds: builds(() => new Mnemonist(capacity)) });
  }
  expect(() => new LRUCache(0)).toThrow('mnemonist/lru-cache: capacity should be positive number.');
});

test('serves the SDK\'s endpoint cache as mnemonist does (the cache it is swapped under in the bundles)', () => {
  // EndpointCache builds `new LRUCache(capacity)` from mnemonist; run the same calls through one built on ours.
  const sdk = new EndpointCache(2);
  const ours = Object.assign(Object.create(EndpointCache.prototype) as object, { cache: new LRUCache(2) }) as unknown as EndpointCache;
  const now = Date.now();
  for (const cache of [sdk, ours]) {
    cache.set('{"accessKeyId":"A"}', [{ Address: 'a.example', CachePeriodInMinutes: 10 }]);
    cache.set('{"accessKeyId":"B"}', [{ Address: 'b.example', CachePeriodInMinutes: 10 }]);
  }
  const read = (cache: EndpointCache) => [cache.getEndpoint('{"accessKeyId":"A"}'), cache.has('{"accessKeyId":"B"}'), cache.get('{"accessKeyId":"C"}'), cache.get('{"accessKeyId":"B"}')?.map((e) => [e.Address, e.Expires >= now])];
  expect(read(ours)).toEqual(read(sdk));
  for (const cache of [sdk, ours]) {
    cache.set('{"accessKeyId":"C"}', [{ Address: 'c.example', CachePeriodInMinutes: 10 }]);
    cache.delete('{"accessKeyId":"B"}');
  }
  const after = (cache: EndpointCache) => ['A', 'B', 'C'].map((k) => [cache.has(`{"accessKeyId":"${k}"}`), cache.getEndpoint(`{"accessKeyId":"${k}"}`)]);
  expect(after(ours)).toEqual(after(sdk));
  for (const cache of [sdk, ours]) cache.clear();
  expect(ours.has('{"accessKeyId":"C"}')).toBe(sdk.has('{"accessKeyId":"C"}'));
});
