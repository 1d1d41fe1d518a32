/**
 * Stands in for `mnemonist/lru-cache` in the handler bundles (an esbuild alias,
 * lambda/bundling/esbuild-options.cjs) for its one user there: the SDK's endpoint cache
 * (`@aws-sdk/endpoint-cache`), which every DynamoDB client builds, at construction, for endpoint
 * discovery, and asks on every request (it stays empty unless discovery is turned on).
 *
 * Why: mnemonist's cache is CommonJS with its helpers (mnemonist, obliterator: about 9 KiB of the
 * minified verifier) and preallocates typed arrays for its 1,000 entries; all of it was compiled and
 * run at every cold start (BENCHMARKS.md, B3). This is the same least-recently-used cache over a
 * `Map`, with the members the endpoint cache uses. Its keys (JSON strings) are compared as strings,
 * as mnemonist, which keeps them as the properties of an object, compares them; the comparison is
 * test/lambda/bundling/lru-cache.test.ts.
 */
export default class LRUCache<K, V> {
  /** Oldest first: a use moves the key to the end. */
  private readonly entries = new Map<K, V>();

  public constructor(public readonly capacity: number) {
    if (typeof capacity !== 'number' || !(capacity > 0)) throw new Error('mnemonist/lru-cache: capacity should be positive number.');
  }

  public get size(): number {
    return this.entries.size;
  }

  /** Whether the key is cached; does not count as a use. */
  public has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The key's value, without counting as a use. */
  public peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** The key's value; a use. */
  public get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Sets the key's value (a use), dropping the least recently used key when the cache is full. */
  public set(key: K, value: V): void {
    if (this.entries.has(key)) this.entries.delete(key);
    else if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
  }

  public clear(): void {
    this.entries.clear();
  }
}
