import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../../helpers/app.js';

export type RunningApp = TestApp & {
  /** http://127.0.0.1:<port>, no trailing slash. */
  readonly baseUrl: string;
  url(path: string): string;
  stop(): Promise<void>;
};

/**
 * The real app, listening on 127.0.0.1 with a random port, exactly as server/main.ts serves it:
 * same createApp, same middleware, real crypto with cheap argon2id, its own database
 * (PGlite in memory, or a fresh PostgreSQL database when DATABASE_URL is set).
 */
export async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const t = await createTestApp(env);
  const server: Server = createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    ...t,
    baseUrl,
    url: (path: string) => new URL(path, baseUrl).toString(),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
    },
  };
}
