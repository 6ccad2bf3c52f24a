/**
 * A counting semaphore with a FIFO wait queue.
 *
 * Used by Kdf to cap concurrent argon2id computations: each one holds
 * memoryKiB of RAM in a libuv worker thread, so without a cap a burst of
 * logins or submissions would multiply memory use and starve the thread pool
 * that file and DNS I/O also need. FIFO order keeps waiting fair.
 */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  #head = 0;

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('Semaphore limit must be a positive integer');
    this.#limit = limit;
  }

  /** Run `task` once a slot is free; the slot is released however the task ends. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    if (this.#active < this.#limit) {
      this.#active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    if (this.#head < this.#waiting.length) {
      // Hand the slot straight to the oldest waiter; #active stays the same.
      const next = this.#waiting[this.#head]!;
      this.#head += 1;
      if (this.#head === this.#waiting.length) {
        this.#waiting.length = 0;
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#waiting.length) {
        // Under sustained load the queue may never drain: drop served entries.
        this.#waiting.splice(0, this.#head);
        this.#head = 0;
      }
      next();
      return;
    }
    this.#active -= 1;
  }
}
