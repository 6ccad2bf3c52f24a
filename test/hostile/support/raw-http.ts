/**
 * HTTP/1.1 over a raw socket, for bodies no well-behaved client sends: cut at any byte, declared
 * longer than sent, sent slowly, or abandoned with the socket closed mid-body.
 */
import net from 'node:net';

/** What to send after the request head: bytes, a pause, or an abrupt close. */
export type Step = Buffer | string | { pauseMs: number } | 'vanish';

export type RawOutcome = {
  /** Status of the answer, or null when the server closed (or we vanished) without one. */
  status: number | null;
  /** The server closed the connection (after its answer, or without one). */
  closedByServer: boolean;
  text: string;
};

export type RawRequest = {
  port: number;
  path: string;
  headers: Record<string, string>;
  steps: Step[];
  /** Give up waiting for an answer after this long (the outcome is then status null). */
  timeoutMs?: number;
};

export function rawRequest(req: RawRequest): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(req.port, '127.0.0.1');
    const received: Buffer[] = [];
    let vanished = false;
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ status: status ? Number(status) : null, closedByServer, text });
    };
    const timer = setTimeout(() => finish(false), req.timeoutMs ?? 20_000);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => finish(!vanished));
    socket.on('close', () => finish(!vanished));
    socket.once('connect', () => {
      const head = [`POST ${req.path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
      socket.write(head);
      void (async () => {
        for (const step of req.steps) {
          if (settled) return;
          if (step === 'vanish') {
            vanished = true;
            // Give the server the bytes already written, then drop the connection as a dying phone would.
            await new Promise((r) => setTimeout(r, 100));
            return finish(false);
          }
          if (typeof step === 'object' && 'pauseMs' in step) await new Promise((r) => setTimeout(r, step.pauseMs));
          else if (!socket.destroyed) socket.write(step);
        }
      })();
    });
  });
}

/** A multipart body built part by part, so a test can cut it anywhere. */
export class MultipartBody {
  readonly boundary = `----hostile${Math.random().toString(16).slice(2)}`;
  private readonly pieces: Buffer[] = [];

  field(name: string, value: string): this {
    this.pieces.push(Buffer.from(`--${this.boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    return this;
  }

  file(name: string, body: Buffer, type = 'text/plain', field = 'files'): this {
    this.pieces.push(Buffer.from(`--${this.boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`));
    this.pieces.push(body, Buffer.from('\r\n'));
    return this;
  }

  raw(bytes: string | Buffer): this {
    this.pieces.push(Buffer.from(bytes));
    return this;
  }

  /** The body so far without its closing boundary. */
  open(): Buffer {
    return Buffer.concat(this.pieces);
  }

  /** The body so far with its closing boundary. */
  closed(): Buffer {
    return Buffer.concat([...this.pieces, Buffer.from(`--${this.boundary}--\r\n`)]);
  }

  contentType(): string {
    return `multipart/form-data; boundary=${this.boundary}`;
  }
}
