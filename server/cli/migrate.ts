import { loadConfig } from '../core/config.js';
import { openDatabase } from '../core/db/index.js';
import { migrateDown, migrateToLatest, migrateUp } from '../core/db/migrator.js';

/** npm run migrate -- latest | up | down */
const command = process.argv[2] ?? 'latest';
const actions = { latest: migrateToLatest, up: migrateUp, down: migrateDown } as const;

if (!(command in actions)) {
  process.stderr.write(`usage: npm run migrate -- latest|up|down\n`);
  process.exit(64);
}
const config = loadConfig();
const database = await openDatabase(config.database);
try {
  const result = await actions[command as keyof typeof actions](database.db);
  for (const r of result.results ?? []) process.stdout.write(`${r.direction.toLowerCase()} ${r.migrationName}: ${r.status}\n`);
  if (!result.results?.length) process.stdout.write('nothing to do\n');
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
