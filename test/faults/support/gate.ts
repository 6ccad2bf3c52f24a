/**
 * Fault tests need a PostgreSQL server they may break (SIGKILL mid-transaction, restarts), so they
 * run only with DATABASE_URL set. Without it they are skipped, and say so, never silently.
 */
export function requirePostgres(what: string): boolean {
  if (process.env.DATABASE_URL) return true;
  console.warn(`SKIPPED: ${what} needs PostgreSQL. Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:faults`);
  return false;
}
