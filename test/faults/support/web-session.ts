/**
 * A browser-like HTTP client for a server running in another process: a cookie jar, the CSRF
 * token of the last page, form posts (urlencoded or multipart) and manual redirects. The fault,
 * leak and RSS runs drive the product through it exactly as a browser without JavaScript would.
 */
import { decodeEntities } from '../../helpers/html.js';

export type Page = { status: number; text: string; location: string | null; url: string };
export type Fields = Record<string, string | string[] | undefined>;
export type UploadFile = { field?: string; name: string; type: string; body: Buffer };

export class WebSession {
  private readonly cookies = new Map<string, string>();
  /** The CSRF token of the last HTML page received, as a browser would post it back. */
  token = '';
  last: Page = { status: 0, text: '', location: null, url: '' };

  constructor(
    readonly base: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): void {
    for (const raw of res.headers.getSetCookie()) {
      const [pair] = raw.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(raw) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: string, path: string, body?: RequestInit['body'], extra: Record<string, string> = {}): Promise<Page> {
    const url = new URL(path, this.base).toString();
    const res = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: { ...this.headers, ...extra, cookie: this.cookieHeader(), 'accept-language': 'zh-CN' },
      signal: AbortSignal.timeout(60_000),
    });
    this.remember(res);
    const text = await res.text();
    const page = { status: res.status, text, location: res.headers.get('location'), url };
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.token = token;
    this.last = page;
    return page;
  }

  get(path: string): Promise<Page> {
    return this.request('GET', path);
  }

  /** A urlencoded form post with the current CSRF token first. */
  post(path: string, fields: Fields): Promise<Page> {
    const body = new URLSearchParams();
    body.append('_csrf', this.token);
    for (const [name, value] of Object.entries(fields)) for (const v of list(value)) body.append(name, v);
    return this.request('POST', path, body, { 'content-type': 'application/x-www-form-urlencoded' });
  }

  /** A multipart post: `_csrf` first, then fields in order, then files (as the forms are laid out). */
  postMultipart(path: string, fields: Fields, files: UploadFile[] = []): Promise<Page> {
    const form = new FormData();
    form.append('_csrf', this.token);
    for (const [name, value] of Object.entries(fields)) for (const v of list(value)) form.append(name, v);
    for (const f of files) form.append(f.field ?? 'files', new Blob([new Uint8Array(f.body)], { type: f.type }), f.name);
    return this.request('POST', path, form);
  }

  /** Follows 30x redirects with GET, as a browser does after a form post. */
  async follow(page: Page = this.last, max = 5): Promise<Page> {
    let current = page;
    for (let i = 0; i < max && current.status >= 300 && current.status < 400 && current.location; i++) current = await this.get(current.location);
    return current;
  }
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export { decodeEntities as decodeHtml };

/** The hidden inputs of the form posting to `action`, in order (e.g. the review step). */
export function hiddenInputs(html: string, action: string): [string, string][] {
  const form = new RegExp(`<form[^>]*action="${action.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[\\s\\S]*?</form>`).exec(html)?.[0] ?? '';
  return [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, decodeEntities(m[2]!)]);
}
