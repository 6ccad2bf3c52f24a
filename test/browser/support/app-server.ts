import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { freePort } from '../../helpers/ports.js';

export type RunningApp = TestApp & {
  /** The public site, http://127.0.0.1:<port>, no trailing slash. */
  readonly baseUrl: string;
  /** The staff workspace on its own listener, http://127.0.0.1:<staff port>. */
  readonly staffBaseUrl: string;
  /** An absolute URL for a path: /staff… on the staff listener, everything else on the public one. */
  url(path: string): string;
  stop(): Promise<void>;
};

/**
 * The real apps, listening on 127.0.0.1 with two free ports, exactly as server/main.ts serves them:
 * the same createPublicApp and createStaffApp, real crypto with cheap argon2id, their own database
 * (PGlite in memory, or a fresh PostgreSQL database when DATABASE_URL is set).
 */
export async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const [port, staffPort] = [await freePort(), await freePort()];
  const baseUrl = `http://127.0.0.1:${port}`;
  const staffBaseUrl = `http://127.0.0.1:${staffPort}`;
  const t = await createTestApp({ PORT: String(port), STAFF_PORT: String(staffPort), ...env });
  const servers = [await listen(t.publicApp, port), await listen(t.staffApp, staffPort)];
  return {
    ...t,
    baseUrl,
    staffBaseUrl,
    url: (path: string) => new URL(path, path.startsWith('/staff') ? staffBaseUrl : baseUrl).toString(),
    stop: async () => {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      await t.close();
    },
  };
}

async function listen(app: Express, port: number): Promise<Server> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
