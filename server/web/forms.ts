/** The typed values to put back into a re-rendered form. Secrets (passwords, keys, codes) are never echoed. */
export function keepValues(body: unknown, fields: readonly string[]): Record<string, string> {
  const source = (body ?? {}) as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const field of fields) {
    const value = source[field];
    if (typeof value === 'string') values[field] = value.slice(0, 200);
  }
  return values;
}

/** Minutes, rounded up, for "try again in N minutes". */
export function minutesFrom(seconds: number): number {
  return Math.max(1, Math.ceil(seconds / 60));
}
