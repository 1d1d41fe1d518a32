// A processor: its FIFO queue's event source mapping (Lambda's poller), the processor function and
// the runtime's once-per-event record in DynamoDB. The mapping runs at most `maxConcurrency`
// batches at once (fewer while it scales up, and never two of one message group); each record is
// an in-progress PutItem, the handler, and a completion UpdateItem, one record after another as the
// FIFO batch processor does; the first failure fails the rest of the batch.

export class EventSourceMapping {
  #rampTimer = false;
  #activeSince;

  constructor(sim, random, { processor, queue, fn, table, aws, ledger }) {
    this.sim = sim;
    this.random = random;
    this.processor = processor;
    this.queue = queue;
    this.fn = fn;
    this.table = table;
    this.aws = aws;
    this.ledger = ledger;
    this.active = 0;
    this.peakActive = 0;
    this.counts = { invocations: 0, handlerRuns: 0, completions: 0, absorbed: 0, failures: 0, timeouts: 0, throttledInvokes: 0, recordWriteFailures: 0 };
    queue.onReady = () => this.pump();
  }

  /** Current concurrency ceiling: the mapping's scale-up towards `maxConcurrency`. */
  allowed() {
    const { initialConcurrency, scaleUpPerMinute } = this.aws.eventSourceMapping;
    const minutes = (this.sim.now - (this.#activeSince ?? this.sim.now)) / 60_000;
    return Math.min(this.processor.maxConcurrency, initialConcurrency + Math.floor(scaleUpPerMinute * minutes));
  }

  pump() {
    this.#activeSince ??= this.sim.now;
    while (this.active < this.allowed() && this.queue.hasReady()) {
      const batch = this.queue.receive(this.processor.batchSize);
      if (batch.length === 0) break;
      this.active++;
      this.peakActive = Math.max(this.peakActive, this.active);
      const { median, sigma } = this.aws.eventSourceMapping.pickupMs;
      this.sim.after(this.random.lognormal(median, sigma), () => this.#invoke(batch));
    }
    if (this.queue.hasReady() && this.active >= this.allowed() && this.allowed() < this.processor.maxConcurrency) this.#wakeForRamp();
  }

  /** While capped by the scale-up (not by maxConcurrency), look again once it allows one more. */
  #wakeForRamp() {
    if (this.#rampTimer) return;
    this.#rampTimer = true;
    this.sim.after(60_000 / this.aws.eventSourceMapping.scaleUpPerMinute, () => {
      this.#rampTimer = false;
      this.pump();
    });
  }

  #invoke(batch) {
    const lease = this.fn.acquire();
    if (!lease) {
      this.counts.throttledInvokes++;
      this.sim.after(this.aws.eventSourceMapping.throttledRetryMs, () => this.#invoke(batch));
      return;
    }
    this.counts.invocations++;
    const deadline = this.sim.now + this.processor.timeoutS * 1000;
    this.sim.after(lease.coldStartMs + this.aws.lambda.invokeOverheadMs, () => this.#record(batch, 0, deadline));
  }

  #record(batch, index, deadline) {
    if (index === batch.length) return this.#finish(batch, batch.length);
    const message = batch[index];
    const key = `${this.processor.name}#${message.eventId}`;
    if (this.ledger.isCompleted(this.processor.name, message.eventId)) {
      // The runtime's record: a redelivery after a completed run is acknowledged without the handler.
      this.counts.absorbed++;
      return this.#record(batch, index + 1, deadline);
    }
    this.table.write(key, (claimed) => {
      if (!claimed) {
        this.counts.recordWriteFailures++;
        return this.#finish(batch, index);
      }
      this.counts.handlerRuns++;
      const { median, sigma } = this.processor.handlerMs;
      const runMs = this.random.lognormal(median, sigma);
      if (this.sim.now + runMs > deadline) {
        // The function times out: Lambda fails the whole batch, whatever finished before.
        this.counts.timeouts++;
        return this.sim.at(Math.max(this.sim.now, deadline), () => this.#finish(batch, 0));
      }
      const fails = this.random.chance(this.processor.failureRate ?? 0);
      this.sim.after(runMs, () => {
        if (fails) {
          this.counts.failures++;
          return this.#finish(batch, index);
        }
        this.table.write(key, (marked) => {
          if (!marked) {
            this.counts.recordWriteFailures++;
            return this.#finish(batch, index);
          }
          this.ledger.complete(this.processor.name, message.eventId, this.sim.now);
          this.counts.completions++;
          this.#record(batch, index + 1, deadline);
        });
      });
    });
  }

  /** Records before `succeeded` are deleted; the rest come back after the visibility timeout. */
  #finish(batch, succeeded) {
    this.fn.release();
    const done = batch.slice(0, succeeded);
    const failed = batch.slice(succeeded);
    if (failed.length > 0) this.queue.release(failed);
    const { median, sigma } = this.aws.sqs.deleteMs;
    this.sim.after(done.length > 0 ? this.random.lognormal(median, sigma) : 0, () => {
      if (done.length > 0) this.queue.delete(done);
      this.active--;
      this.pump();
    });
  }
}
