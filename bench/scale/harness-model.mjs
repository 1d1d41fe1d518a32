// The emulator harness of B5 as a queueing model, for calibration. Everything B5 runs shares two
// single-threaded servers on the machine's two cores: the Node.js event loop (the client, the API
// Gateway emulation, every verifier "container", the counting proxy, the pollers and processors)
// and moto (one Python process serving every AWS call). Each is a first-come-first-served station;
// an AWS call is a visit to the event loop (SDK and proxy work) and then to moto.
//
// Three parameters, fitted by calibrate.mjs: `motoCallMs` (moto's time per call), `nodeCallMs` (the
// event loop's time per AWS call) and `nodeHandlerMs` (the event loop's time per handler invocation:
// an HTTP request through the API emulation into the verifier, or a poller's batch into a processor).
import { percentile } from '../lib/common.mjs';
import { Simulation } from './engine.mjs';
import { createRandom } from './random.mjs';
import { Station } from './station.mjs';

/** How B5 drives the harness (bench/b5-throughput.mjs) and how the harness polls (local/sqs-poller.ts, local/harness.ts). */
export const B5_PROTOCOL = {
  levels: [1, 8, 32],
  perTrial: { 1: 20, 8: 48, 32: 96 },
  trials: 5,
  processors: 2,
  pollersPerQueue: 5,
  batchSize: 1,
  idlePollMs: 20,
  maxIdlePollMs: 200,
  /** waitForIdle: checks every 150 ms while busy, 50 ms once quiet, returns after two quiet checks. */
  idleCheckBusyMs: 150,
  idleCheckQuietMs: 50,
};

/** Spread of service times (σ of the logarithm); not fitted (assumption). */
const SIGMA = { moto: 0.5, node: 0.5 };

/**
 * B5 at one concurrency level: a warm-up burst, then `trials` trials of `perTrial` requests with
 * `concurrency` in flight, each followed by waitForIdle. Returns B5's figures for the level.
 */
export function simulateHarnessLevel(params, concurrency, { protocol = B5_PROTOCOL, seed = 5 } = {}) {
  const sim = new Simulation();
  const random = createRandom(seed * 1000 + concurrency);
  const harness = new HarnessModel(sim, random, params, protocol);
  const trials = [];
  const runTrial = (count, record, next) => harness.trial(concurrency, count, (result) => {
    if (record) trials.push(result);
    next();
  });
  const chain = (i) => {
    // The pollers would poll for ever: stop them, so the simulation runs out of events.
    if (i === protocol.trials) return harness.stop();
    runTrial(protocol.perTrial[concurrency], true, () => chain(i + 1));
  };
  runTrial(concurrency * 2, false, () => chain(0));
  sim.run();
  const median = (values) => percentile(values, 50);
  return {
    concurrency,
    acceptedPerS: median(trials.map((t) => (t.count * 1000) / t.acceptedMs)),
    processedPerS: median(trials.map((t) => (t.count * 1000) / t.processedMs)),
    p50: median(trials.map((t) => percentile(t.latencies, 50))),
    p99: median(trials.map((t) => percentile(t.latencies, 99))),
    motoUtilisation: harness.moto.utilisation(),
    /** Share of moto's calls that were receives finding nothing (the pollers' idle polling). */
    emptyReceiveShare: harness.emptyReceives / harness.moto.completed,
    nodeUtilisation: harness.node.utilisation(),
  };
}

class HarnessModel {
  constructor(sim, random, params, protocol) {
    this.sim = sim;
    this.random = random;
    this.params = params;
    this.protocol = protocol;
    this.node = new Station(sim, { name: 'node event loop' });
    this.moto = new Station(sim, { name: 'moto' });
    this.requestsInFlight = 0;
    this.emptyReceives = 0;
    this.running = true;
    this.queues = Array.from({ length: protocol.processors }, () => new PolledQueue(this));
  }

  stop() {
    this.running = false;
    for (const queue of this.queues) queue.nudge();
  }

  nodeWork(meanMs, done) {
    this.node.submit(this.random.lognormal(meanMs, SIGMA.node), done);
  }

  /** One AWS call: SDK and proxy on the event loop, then moto. */
  call(done) {
    this.nodeWork(this.params.nodeCallMs, () => this.moto.submit(this.random.lognormal(this.params.motoCallMs, SIGMA.moto), done));
  }

  /** One webhook POST: the verifier's claim, a send to each queue (in parallel), the mark. */
  post(done) {
    this.requestsInFlight++;
    this.nodeWork(this.params.nodeHandlerMs, () => this.call(() => {
      let sends = this.queues.length;
      for (const queue of this.queues) {
        this.call(() => {
          queue.visible++;
          if (--sends === 0) this.call(() => this.#answer(done));
        });
      }
    }));
  }

  #answer(done) {
    this.requestsInFlight--;
    // harness.post nudges every idle poller after each response.
    for (const queue of this.queues) queue.nudge();
    done();
  }

  /** B5's load(): `count` requests with `concurrency` in flight, then waitForIdle. */
  trial(concurrency, count, finish) {
    const start = this.sim.now;
    const latencies = [];
    let issued = 0;
    let answered = 0;
    let acceptedMs;
    const issue = () => {
      if (issued >= count) return;
      issued++;
      const t0 = this.sim.now;
      this.post(() => {
        latencies.push(this.sim.now - t0);
        answered++;
        if (answered === count) {
          acceptedMs = this.sim.now - start;
          this.#waitForIdle(() => finish({ count, latencies, acceptedMs, processedMs: this.sim.now - start }));
        } else {
          issue();
        }
      });
    };
    for (let i = 0; i < Math.min(concurrency, count); i++) issue();
  }

  #waitForIdle(done) {
    const { idleCheckBusyMs, idleCheckQuietMs } = this.protocol;
    for (const queue of this.queues) queue.nudge();
    let quiet = 0;
    const check = () => {
      const busy = this.requestsInFlight > 0 || this.queues.some((q) => q.invocations > 0);
      const next = (waiting) => {
        quiet = !busy && waiting === 0 ? quiet + 1 : 0;
        if (quiet >= 2) return done();
        this.sim.after(quiet > 0 ? idleCheckQuietMs : idleCheckBusyMs, check);
      };
      if (busy) return next(1);
      // One GetQueueAttributes per queue, in parallel.
      let pending = this.queues.length;
      for (const _queue of this.queues) this.call(() => --pending === 0 && next(this.queues.reduce((sum, q) => sum + q.depth, 0)));
    };
    check();
  }
}

/**
 * A processor queue and its poller (local/sqs-poller.ts): `pollersPerQueue` workers, receives
 * serialised per queue, an idle worker sleeping 20 ms doubling to 200 ms unless nudged, and per
 * message the processor's record PutItem and UpdateItem, then DeleteMessageBatch.
 */
class PolledQueue {
  #receiving = false;
  #receiveWaiters = [];
  #sleepers = new Set();

  constructor(harness) {
    this.harness = harness;
    /** Messages that a receive can return, and messages received but not yet deleted. */
    this.visible = 0;
    this.held = 0;
    this.invocations = 0;
    for (let i = 0; i < harness.protocol.pollersPerQueue; i++) this.#work(harness.protocol.idlePollMs);
  }

  /** What GetQueueAttributes reports: visible plus not visible. */
  get depth() {
    return this.visible + this.held;
  }

  nudge() {
    for (const wake of [...this.#sleepers]) wake();
  }

  #work(idleMs) {
    if (!this.harness.running) return;
    this.#receive((got) => {
      if (got === 0) return this.#sleep(idleMs, () => this.#work(Math.min(idleMs * 2, this.harness.protocol.maxIdlePollMs)));
      this.invocations++;
      const h = this.harness;
      // The processor: its handler invocation, the record's PutItem and UpdateItem; then the delete.
      h.nodeWork(h.params.nodeHandlerMs, () => h.call(() => h.call(() => h.call(() => {
        this.held -= got;
        this.invocations--;
        this.#work(h.protocol.idlePollMs);
      }))));
    });
  }

  /** ReceiveMessage, one at a time per queue. */
  #receive(done) {
    if (this.#receiving) return this.#receiveWaiters.push(done);
    this.#receiving = true;
    this.harness.call(() => {
      const got = Math.min(this.harness.protocol.batchSize, this.visible);
      if (got === 0) this.harness.emptyReceives++;
      this.visible -= got;
      this.held += got;
      this.#receiving = false;
      const next = this.#receiveWaiters.shift();
      if (next) this.#receive(next);
      done(got);
    });
  }

  #sleep(ms, then) {
    let timer = true;
    const wake = () => {
      if (!timer) return;
      timer = false;
      this.#sleepers.delete(wake);
      then();
    };
    this.#sleepers.add(wake);
    this.harness.sim.after(ms, wake);
  }
}
