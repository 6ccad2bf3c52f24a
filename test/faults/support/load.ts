/** A small closed-loop load generator: `workers` loops, each sending one request after another. */

export type Sample = { at: number; label: string; status: number; body: string };

export type Load = {
  readonly samples: Sample[];
  /** Stops the loops and waits for the requests in flight. */
  stop(): Promise<Sample[]>;
};

export type Step = (worker: number, iteration: number) => Promise<{ label: string; status: number; body: string }>;

export function startLoad(workers: number, step: Step): Load {
  const samples: Sample[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let iteration = 0; running; iteration++) {
      try {
        const result = await step(worker, iteration);
        samples.push({ at: Date.now(), ...result });
      } catch (err) {
        // A refused or reset connection is an outcome too (status 0): the server was not reachable.
        samples.push({ at: Date.now(), label: 'network', status: 0, body: (err as Error).message });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  return {
    samples,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}

export async function getText(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: await res.text() };
}

/** Polls `probe` until it returns true, or fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function countBy(samples: Sample[], key: (s: Sample) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) counts[key(s)] = (counts[key(s)] ?? 0) + 1;
  return counts;
}
