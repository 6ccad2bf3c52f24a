import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AxeResult } from './axe.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Every audit, one JSON line each, so a run leaves a full record of minor findings too. */
export const AXE_LOG = path.join(ROOT, 'test-results/axe.jsonl');

export function recordAudit(result: AxeResult): void {
  mkdirSync(path.dirname(AXE_LOG), { recursive: true });
  appendFileSync(AXE_LOG, JSON.stringify(result) + '\n');
  if (result.other.length > 0) {
    // Not fatal, but worth seeing: moderate/minor rules that fired on this page.
    console.log(`axe (${result.other.map((f) => `${f.id}:${f.impact}`).join(', ')}) on ${result.label}`);
  }
}
