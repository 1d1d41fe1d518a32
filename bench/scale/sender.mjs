// The provider's side of a burst: `deliveries` POSTs spread over `windowS` (a Poisson process with
// that many arrivals), a share of them re-deliveries of an event already sent (the claim absorbs
// them), each event's message group drawn from a Zipf distribution over customers, sent from a
// handful of source IPs; a refused delivery (429, 5xx) is sent again after the provider's back-off.
import { zipfSampler } from './random.mjs';

/** Builds the burst: the distinct events, and the first attempt of every delivery in time order. */
export function planBurst(random, load) {
  const times = Array.from({ length: load.deliveries }, () => random.next() * load.windowS * 1000).sort((a, b) => a - b);
  const customers = zipfSampler(load.customers, load.zipfS, random);
  const events = [];
  const deliveries = [];
  for (const atMs of times) {
    const redelivery = events.length > 0 && random.chance(load.duplicateShare);
    const event = redelivery ? events[random.integer(events.length)] : newEvent(events.length, customers.draw(), atMs, load);
    if (!redelivery) events.push(event);
    deliveries.push({ event, atMs, redelivery });
  }
  return { events, deliveries, topCustomerShare: customers.share(1) };
}

function newEvent(index, customer, atMs, load) {
  const id = `evt_${index}`;
  // messageGroupPath decides the group: the customer (the default here), or something finer.
  const group = load.groupBy === 'event' ? id : `cus_${customer}`;
  return { id, customer, group, firstAttemptMs: atMs, acceptedMs: undefined, attempts: 0 };
}

export class Sender {
  constructor(sim, random, { load, gateway, deliver }) {
    this.sim = sim;
    this.random = random;
    this.load = load;
    this.gateway = gateway;
    this.deliver = deliver;
    /** Deliveries refused and waiting for the provider's next attempt. */
    this.waiting = 0;
    this.peakWaiting = 0;
    this.counts = { attempts: 0, ok: 0, refused: 0, byStatus: new Map() };
  }

  start(plan) {
    for (const delivery of plan.deliveries) this.sim.at(delivery.atMs, () => this.#attempt(delivery.event, 1));
  }

  #attempt(event, attempt) {
    this.counts.attempts++;
    event.attempts++;
    const ip = `ip${this.random.integer(this.load.senderIps)}`;
    this.gateway.request(ip, (reply) => this.deliver(event, reply), (status, kind) => this.#answered(event, attempt, status, kind));
  }

  #answered(event, attempt, status, kind) {
    const label = `${status} ${kind}`;
    this.counts.byStatus.set(label, (this.counts.byStatus.get(label) ?? 0) + 1);
    if (status === 200) {
      this.counts.ok++;
      event.acceptedMs ??= this.sim.now;
      return;
    }
    this.counts.refused++;
    const { firstS, factor, jitter } = this.load.retry;
    const delayMs = firstS * 1000 * factor ** (attempt - 1) * this.random.uniform(1 - jitter, 1 + jitter);
    this.waiting++;
    this.peakWaiting = Math.max(this.peakWaiting, this.waiting);
    this.sim.after(delayMs, () => {
      this.waiting--;
      this.#attempt(event, attempt + 1);
    });
  }
}
