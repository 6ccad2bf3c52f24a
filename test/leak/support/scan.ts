import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Raw-byte search for canaries, case-insensitive. Each needle is also looked for in hex, because
 * pg_dump writes bytea columns as \x… hex text: a canary stored in clear in a bytea column would
 * otherwise slip past a search of the dump.
 */
export type Needle = { label: string; value: string };
type Prepared = Needle & { text: string; hex: string };

const prepare = (needles: Needle[]): Prepared[] =>
  needles.map((n) => ({ ...n, text: Buffer.from(n.value, 'utf8').toString('latin1').toLowerCase(), hex: Buffer.from(n.value, 'utf8').toString('hex') }));

export function findNeedles(bytes: Buffer, needles: Needle[]): Needle[] {
  const haystack = bytes.toString('latin1').toLowerCase();
  return prepare(needles)
    .filter((n) => haystack.includes(n.text) || (n.hex.length >= 16 && haystack.includes(n.hex)))
    .map(({ label, value }) => ({ label, value }));
}

/** Every regular file under `dir` (recursively), skipping what vanishes while walking. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    try {
      const st = statSync(full);
      if (st.isDirectory()) out.push(...filesUnder(full));
      else if (st.isFile()) out.push(full);
    } catch {
      /* vanished */
    }
  }
  return out;
}

/** Which needles occur in which files: `{ "<file>": ["label", …] }`, only files with hits. */
export function scanFiles(files: string[], needles: Needle[]): Record<string, string[]> {
  const hits: Record<string, string[]> = {};
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    const found = findNeedles(bytes, needles);
    if (found.length) hits[file] = found.map((n) => n.label);
  }
  return hits;
}
