import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root: the nearest folder above this file that holds package.json. The same code runs
 * from the sources (server/core/paths.ts under tsx) and compiled (dist/server/core/paths.js), so
 * assets that the compiler does not copy — views, public files, translations — are found from here
 * rather than relative to the running file.
 */
function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

export function projectPath(...segments: string[]): string {
  return path.join(PROJECT_ROOT, ...segments);
}
