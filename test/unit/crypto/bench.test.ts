import { describe, expect, it } from 'vitest';
import { runCryptoBench } from '../../../bench/crypto.js';

describe('runCryptoBench', () => {
  it('reports a positive rate for every measurement', async () => {
    const results = await runCryptoBench({
      argon2: { memoryKiB: 1024, iterations: 1, parallelism: 1, maxConcurrent: 2 },
      seconds: 0.05,
    });
    expect(Object.keys(results).sort()).toEqual([
      'argon2idDerivationsPerSecond',
      'opensPerSecond',
      'recordSealOpen4KiBPerSecond',
      'sealsPerSecond',
      'streamEncryptMBps',
    ]);
    for (const value of Object.values(results)) expect(value).toBeGreaterThan(0);
  });
});
