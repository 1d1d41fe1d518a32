// A binary min-heap ordered by a time, then by insertion order, so that two items with the same time
// come out in the order they went in (determinism). The simulation's future-event list is one; a
// FIFO queue's receivable message groups, ordered by their oldest message, are another.

export class EventHeap {
  #items = [];
  #sequence = 0;

  get size() {
    return this.#items.length;
  }

  push(time, action) {
    const item = { time, seq: this.#sequence++, action };
    this.#items.push(item);
    this.#siftUp(this.#items.length - 1);
  }

  /** The earliest item, or undefined when empty. */
  pop() {
    const items = this.#items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0) {
      items[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  peekTime() {
    return this.#items[0]?.time;
  }

  /** The earliest item without removing it. */
  peek() {
    return this.#items[0];
  }

  #before(a, b) {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  #siftUp(index) {
    const items = this.#items;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#before(items[index], items[parent])) break;
      [items[index], items[parent]] = [items[parent], items[index]];
      index = parent;
    }
  }

  #siftDown(index) {
    const items = this.#items;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < items.length && this.#before(items[left], items[smallest])) smallest = left;
      if (right < items.length && this.#before(items[right], items[smallest])) smallest = right;
      if (smallest === index) return;
      [items[index], items[smallest]] = [items[smallest], items[index]];
      index = smallest;
    }
  }
}
