// The discrete-event clock: components schedule callbacks at future instants; `run` executes them in
// time order. Time is in milliseconds of simulated time, starting at 0.
import { EventHeap } from './heap.mjs';

export class Simulation {
  #heap = new EventHeap();
  now = 0;
  /** Callbacks executed so far: a measure of the model's own cost. */
  steps = 0;

  at(time, action) {
    if (!(time >= this.now)) throw new Error(`cannot schedule in the past (${time} < ${this.now})`);
    this.#heap.push(time, action);
  }

  after(delayMs, action) {
    this.at(this.now + Math.max(0, delayMs), action);
  }

  /** Runs until nothing is scheduled or the clock would pass `untilMs`. */
  run(untilMs = Infinity) {
    while (this.#heap.size > 0 && this.#heap.peekTime() <= untilMs) {
      const { time, action } = this.#heap.pop();
      this.now = time;
      this.steps++;
      action();
    }
    return this;
  }

  get pending() {
    return this.#heap.size;
  }
}
