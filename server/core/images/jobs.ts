/**
 * The bound on image work. Decoding and re-encoding a photo is the one thing a single anonymous
 * request can make expensive (memory and CPU), so at most `concurrency` photos are processed at
 * once and at most `queueLength` more may wait (their uploads held in memory meanwhile). A photo
 * beyond that is refused at once with ImagesBusy: the form comes back (503, Retry-After) with
 * everything typed, rather than the process growing without limit.
 *
 * Each running job occupies one thread of libuv's pool (sharp runs there, as argon2 does): keep
 * UV_THREADPOOL_SIZE above IMAGE_CONCURRENCY + ARGON2_MAX_CONCURRENT so sign-in always finds a
 * thread (docs/operations.md).
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { HttpError } from '../errors.js';

export class ImagesBusy extends HttpError {
  constructor() {
    super(503, 'errors.unavailableMessage', 'errors.unavailableTitle');
  }
}

/** A place taken in the image queue: run the work once (in a slot), or give the place back. */
export type ImageTicket = {
  run<T>(work: () => Promise<T>): Promise<T>;
  release(): void;
};

export class ImageJobs {
  private readonly limit: LimitFunction;
  private admitted = 0;

  constructor(private readonly bounds: { readonly concurrency: number; readonly queueLength: number }) {
    this.limit = pLimit(bounds.concurrency);
  }

  /** Jobs admitted and not finished: running, waiting for a slot, or still receiving their upload. */
  get inFlight(): number {
    return this.admitted;
  }

  /**
   * Takes a place before the upload is buffered, so the memory held by waiting photos is bounded
   * too. Throws ImagesBusy when every place is taken.
   */
  admit(): ImageTicket {
    if (this.admitted >= this.bounds.concurrency + this.bounds.queueLength) throw new ImagesBusy();
    this.admitted++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.admitted--;
    };
    return {
      run: (work) => this.limit(work).finally(release),
      release,
    };
  }
}
