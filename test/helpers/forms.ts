import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';

/** The CSRF token of the first form on a page. */
export function csrfTokenFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no _csrf field on the page');
  return match[1];
}

/** GETs a page with the agent (keeping cookies) and returns its CSRF token. */
export async function fetchCsrf(agent: TestAgent, path: string): Promise<string> {
  const res: Response = await agent.get(path);
  return csrfTokenFrom(res.text);
}
