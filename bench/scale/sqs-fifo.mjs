// An SQS FIFO queue in high-throughput mode, as the processors' queues are configured: per-group
// deduplication (5 minutes), per-queue and per-group request rates, strict order within a message
// group with at most one batch of a group in flight, a visibility timeout that blocks a group after
// a failed batch, and a dead-letter queue after `maxReceiveCount` receives.
import { backoffMs } from './dynamodb.mjs';
import { EventHeap } from './heap.mjs';
import { TokenBucket } from './token-bucket.mjs';

export class FifoQueue {
  #groups = new Map();
  /**
   * Groups that may be received from, oldest first message first: SQS keeps a FIFO queue's messages
   * in the order they were sent and hands out the oldest one whose group is not in flight (moto does
   * the same). A backlogged group is therefore served whenever it is free.
   */
  #ready = new EventHeap();
  #deduplication = new Map();
  #groupRates = new Map();
  #sendSecond = { second: -1, queue: 0, groups: new Map() };

  constructor(sim, random, { name, visibilityTimeoutMs, maxReceiveCount, queueTransactionsPerS, groupTransactionsPerS, deduplicationWindowMs, sendMs, maxAttempts, retry }) {
    this.sim = sim;
    this.random = random;
    this.name = name;
    this.visibilityTimeoutMs = visibilityTimeoutMs;
    this.maxReceiveCount = maxReceiveCount;
    this.queueRate = new TokenBucket({ ratePerS: queueTransactionsPerS, burst: queueTransactionsPerS });
    this.groupTransactionsPerS = groupTransactionsPerS;
    this.deduplicationWindowMs = deduplicationWindowMs;
    this.sendMs = sendMs;
    this.maxAttempts = maxAttempts;
    this.retry = retry;
    /** Messages sent and not yet deleted or dead-lettered. */
    this.depth = 0;
    this.peakDepth = 0;
    this.deadLetters = [];
    this.counts = { sent: 0, deduplicated: 0, throttled: 0, failedSends: 0, receives: 0, deleted: 0, peakSendsPerS: 0, peakGroupSendsPerS: 0, orderViolations: 0 };
    /** Called when a group becomes receivable (the event source mapping listens). */
    this.onReady = () => {};
  }

  /** SendMessage: `done('sent' | 'deduplicated' | 'failed')` after the round trip. */
  send({ eventId, group }, done) {
    this.#attemptSend({ eventId, group }, 0, done);
  }

  #attemptSend(message, attempt, done) {
    const now = this.sim.now;
    const latency = this.random.lognormal(this.sendMs.median, this.sendMs.sigma);
    const groupRate = this.#groupRate(message.group);
    if (!this.queueRate.has(now) || !groupRate.has(now)) {
      this.counts.throttled++;
      if (attempt + 1 >= this.maxAttempts) {
        this.counts.failedSends++;
        this.sim.after(latency, () => done('failed'));
      } else {
        this.sim.after(latency + backoffMs(this.random, this.retry, attempt), () => this.#attemptSend(message, attempt + 1, done));
      }
      return;
    }
    this.queueRate.take(now);
    groupRate.take(now);
    this.#countSend(message.group);
    // Deduplication scope is the message group (the queue's DeduplicationScope: messageGroup).
    const key = `${message.group}\u0000${message.eventId}`;
    const seen = this.#deduplication.get(key);
    if (seen !== undefined && now - seen < this.deduplicationWindowMs) {
      this.counts.deduplicated++;
      this.sim.after(latency, () => done('deduplicated'));
      return;
    }
    this.#deduplication.set(key, now);
    this.#forgetOldDeduplicationIds(now);
    this.sim.after(latency, () => {
      this.#enqueue({ eventId: message.eventId, group: message.group, sentAt: this.sim.now, receiveCount: 0, receivedAt: 0, inFlight: false });
      done('sent');
    });
  }

  /** The map is in insertion (= time) order: drop IDs past the window from its front. */
  #forgetOldDeduplicationIds(now) {
    for (const [key, at] of this.#deduplication) {
      if (now - at < this.deduplicationWindowMs) return;
      this.#deduplication.delete(key);
    }
  }

  #enqueue(message) {
    const group = this.#group(message.group);
    group.messages.push(message);
    this.counts.sent++;
    this.depth++;
    this.peakDepth = Math.max(this.peakDepth, this.depth);
    this.#markReady(group);
  }

  hasReady() {
    return this.#ready.size > 0;
  }

  /**
   * ReceiveMessage for up to `max` messages: as many of one group as possible (in order), then of
   * the next receivable group. Every group with a message in the batch is in flight until the batch
   * is deleted or its visibility timeout ends. A message received more than `maxReceiveCount` times
   * moves to the dead-letter queue instead of being returned.
   */
  receive(max) {
    const batch = [];
    while (batch.length < max && this.hasReady()) {
      const group = this.#ready.pop().action;
      group.queued = false;
      this.#takeFrom(group, max - batch.length, batch);
    }
    this.counts.receives += batch.length;
    return batch;
  }

  /** Moves up to `room` of a receivable group's messages, in order, into `batch`. */
  #takeFrom(group, room, batch) {
    while (room > 0 && group.head + group.inFlight < group.messages.length) {
      const message = group.messages[group.head + group.inFlight];
      message.receiveCount++;
      if (message.receiveCount > this.maxReceiveCount) {
        // Only the group's head can leave: a later message waits behind the earlier ones in flight.
        if (group.inFlight > 0) {
          message.receiveCount--;
          return;
        }
        this.#drop(group);
        this.deadLetters.push(message);
        continue;
      }
      message.receivedAt = this.sim.now;
      message.inFlight = true;
      group.inFlight++;
      batch.push(message);
      room--;
    }
  }

  /** DeleteMessage for messages of a finished batch (the ones that succeeded, each at its group's head). */
  delete(messages) {
    for (const message of messages) {
      const group = this.#groups.get(message.group);
      if (group.messages[group.head] !== message) this.counts.orderViolations++;
      message.inFlight = false;
      group.inFlight--;
      this.#drop(group);
      this.counts.deleted++;
    }
    for (const group of this.#groupsOf(messages)) {
      this.#markReady(group);
      this.#forgetIfIdle(group);
    }
  }

  /** An empty group with nothing in flight is forgotten, so memory follows the backlog, not the history. */
  #forgetIfIdle(group) {
    if (group.inFlight > 0 || group.head < group.messages.length) return;
    this.#groups.delete(group.id);
    this.#groupRates.delete(group.id);
  }

  /**
   * Messages of a batch that failed: they stay in flight until their visibility timeout ends
   * (counted from their receive), blocking their group, then become receivable again in order.
   */
  release(messages) {
    for (const group of this.#groupsOf(messages)) {
      const own = messages.filter((m) => m.group === group.id);
      const expiresAt = Math.max(...own.map((m) => m.receivedAt + this.visibilityTimeoutMs));
      this.sim.at(Math.max(this.sim.now, expiresAt), () => {
        for (const message of own) message.inFlight = false;
        group.inFlight -= own.length;
        this.#markReady(group);
      });
    }
  }

  #groupsOf(messages) {
    return [...new Set(messages.map((m) => m.group))].map((id) => this.#groups.get(id));
  }

  #drop(group) {
    group.head++;
    this.depth--;
    if (group.head > 64 && group.head * 2 > group.messages.length) {
      group.messages = group.messages.slice(group.head);
      group.head = 0;
    }
  }

  #receivable(group) {
    return group.inFlight === 0 && group.head < group.messages.length;
  }

  #markReady(group) {
    if (group.queued || !this.#receivable(group)) return;
    group.queued = true;
    this.#ready.push(group.messages[group.head].sentAt, group);
    this.onReady();
  }

  #group(id) {
    let group = this.#groups.get(id);
    if (!group) {
      group = { id, messages: [], head: 0, inFlight: 0, queued: false };
      this.#groups.set(id, group);
    }
    return group;
  }

  #groupRate(id) {
    let bucket = this.#groupRates.get(id);
    if (!bucket) {
      bucket = new TokenBucket({ ratePerS: this.groupTransactionsPerS, burst: this.groupTransactionsPerS, nowMs: this.sim.now });
      this.#groupRates.set(id, bucket);
    }
    return bucket;
  }

  #countSend(group) {
    const second = Math.floor(this.sim.now / 1000);
    const window = this.#sendSecond;
    if (window.second !== second) {
      window.second = second;
      window.queue = 0;
      window.groups.clear();
    }
    window.queue++;
    const g = (window.groups.get(group) ?? 0) + 1;
    window.groups.set(group, g);
    this.counts.peakSendsPerS = Math.max(this.counts.peakSendsPerS, window.queue);
    this.counts.peakGroupSendsPerS = Math.max(this.counts.peakGroupSendsPerS, g);
  }
}
