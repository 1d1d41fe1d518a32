// A first-come-first-served station with `servers` identical servers. In the harness model, moto
// (one Python process) and the Node event loop are each one such server; the closed-form checks
// (M/M/1, M/D/1) run against it too, which is what makes them a check of the engine.

export class Station {
  #waiting = [];
  #busy = 0;
  /** Time-weighted busy servers, for utilisation. */
  #busyArea = 0;
  #lastChangeMs = 0;

  constructor(sim, { name, servers = 1 }) {
    this.sim = sim;
    this.name = name;
    this.servers = servers;
    this.completed = 0;
    this.totalWaitMs = 0;
  }

  /** Queues a job that needs `serviceMs` of one server; `done(waitMs)` runs when it finishes. */
  submit(serviceMs, done) {
    const job = { serviceMs, done, arrivedMs: this.sim.now };
    if (this.#busy < this.servers) this.#start(job);
    else this.#waiting.push(job);
  }

  get queueLength() {
    return this.#waiting.length;
  }

  get busy() {
    return this.#busy;
  }

  utilisation(untilMs = this.sim.now) {
    return untilMs > 0 ? (this.#busyArea + this.#busy * (untilMs - this.#lastChangeMs)) / (untilMs * this.servers) : 0;
  }

  #account() {
    this.#busyArea += this.#busy * (this.sim.now - this.#lastChangeMs);
    this.#lastChangeMs = this.sim.now;
  }

  #start(job) {
    this.#account();
    this.#busy++;
    const waitMs = this.sim.now - job.arrivedMs;
    this.sim.after(job.serviceMs, () => {
      this.#account();
      this.#busy--;
      this.completed++;
      this.totalWaitMs += waitMs;
      // A head-of-queue array shift is O(n); the queues here stay short enough that it does not matter.
      const next = this.#waiting.shift();
      if (next) this.#start(next);
      job.done(waitMs);
    });
  }
}
