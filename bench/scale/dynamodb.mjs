// DynamoDB on-demand writes: every write needs capacity in its key's partition (1,000 write units/s)
// and in the table (its warm throughput); a throttled write is retried by the SDK with back-off,
// and fails after the SDK's last attempt. Items here are all under 1 KB: one write unit each.
import { hashString } from './random.mjs';
import { TokenBucket } from './token-bucket.mjs';

export class DynamoTable {
  #partitions;
  #perSecond = new Map();

  constructor(sim, random, { partitions, partitionWritesPerS, tableWarmWritesPerS, writeMs, maxAttempts, retry }) {
    this.sim = sim;
    this.random = random;
    // One second of capacity as burst: DynamoDB enforces these limits per second.
    this.#partitions = Array.from({ length: partitions }, () => new TokenBucket({ ratePerS: partitionWritesPerS, burst: partitionWritesPerS }));
    this.table = new TokenBucket({ ratePerS: tableWarmWritesPerS, burst: tableWarmWritesPerS });
    this.writeMs = writeMs;
    this.maxAttempts = maxAttempts;
    this.retry = retry;
    this.counts = { writes: 0, throttled: 0, failed: 0, peakPartitionWritesPerS: 0, peakTableWritesPerS: 0 };
  }

  partitionOf(key) {
    return hashString(key) % this.#partitions.length;
  }

  /** Writes one item; `done(ok)` after the round trip (and any retries). */
  write(key, done) {
    this.#attempt(key, 0, done);
  }

  #attempt(key, attempt, done) {
    const now = this.sim.now;
    const partition = this.partitionOf(key);
    const latency = this.random.lognormal(this.writeMs.median, this.writeMs.sigma);
    if (this.#partitions[partition].has(now) && this.table.has(now)) {
      this.#partitions[partition].take(now);
      this.table.take(now);
      this.counts.writes++;
      this.#countSecond(partition);
      this.sim.after(latency, () => done(true));
      return;
    }
    this.counts.throttled++;
    if (attempt + 1 >= this.maxAttempts) {
      this.counts.failed++;
      this.sim.after(latency, () => done(false));
      return;
    }
    this.sim.after(latency + backoffMs(this.random, this.retry, attempt), () => this.#attempt(key, attempt + 1, done));
  }

  #countSecond(partition) {
    const second = Math.floor(this.sim.now / 1000);
    let counts = this.#perSecond.get(second);
    if (!counts) {
      // Only the current second matters for the peaks: drop the rest so memory stays flat.
      this.#perSecond.clear();
      counts = { table: 0, partitions: new Map() };
      this.#perSecond.set(second, counts);
    }
    counts.table++;
    const p = (counts.partitions.get(partition) ?? 0) + 1;
    counts.partitions.set(partition, p);
    this.counts.peakTableWritesPerS = Math.max(this.counts.peakTableWritesPerS, counts.table);
    this.counts.peakPartitionWritesPerS = Math.max(this.counts.peakPartitionWritesPerS, p);
  }
}

/** The SDK's back-off before retry number `attempt + 1`: full jitter over base × 2^attempt, capped. */
export function backoffMs(random, { throttlingBaseMs, maxDelayMs }, attempt) {
  return random.next() * Math.min(throttlingBaseMs * 2 ** attempt, maxDelayMs);
}
