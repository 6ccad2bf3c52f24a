import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type Backend = { name: string; port: number };
export type Balancer = { publicUrl: string; staffUrl: string; stop(): Promise<void>; output(): string };

const HAPROXY = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => existsSync(p));

/**
 * Debian's haproxy in front of N app instances, the way docs/operations.md deploys it: round
 * robin, no sticky sessions, health checks on /healthz, connection failures re-dispatched to
 * another instance. Server connections are not reused (http-server-close), so an instance that is
 * shutting down gracefully is never handed a request on a connection it is about to close.
 */
export async function startHaproxy(dir: string, ports: { public: number; staff: number }, instances: { public: Backend[]; staff: Backend[] }): Promise<Balancer> {
  if (!HAPROXY) throw new Error('haproxy is not installed: apt-get install -y haproxy (.ci/run does it)');
  const servers = (list: Backend[]) => list.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`).join('\n');
  const config = `
global
  maxconn 512
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 5
  option redispatch 1
  option http-server-close
  option forwardfor
  timeout check 3s
  default-server inter 400ms fall 3 rise 1
frontend public
  bind 127.0.0.1:${ports.public}
  default_backend public_apps
frontend staff
  bind 127.0.0.1:${ports.staff}
  default_backend staff_apps
backend public_apps
  balance roundrobin
  option httpchk GET /healthz
${servers(instances.public)}
backend staff_apps
  balance roundrobin
  option httpchk GET /healthz
${servers(instances.staff)}
`;
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const publicUrl = `http://127.0.0.1:${ports.public}`;
  const staffUrl = `http://127.0.0.1:${ports.staff}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited:\n${Buffer.concat(chunks).toString()}`);
    const up = await fetch(`${publicUrl}/healthz`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`haproxy not serving after 20 s:\n${Buffer.concat(chunks).toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    publicUrl,
    staffUrl,
    output: () => Buffer.concat(chunks).toString(),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
