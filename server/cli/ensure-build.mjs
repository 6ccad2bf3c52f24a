#!/usr/bin/env node
// Makes sure dist/ holds a compiled build of the current sources before `npm start` or the CLI
// run it. Plain JavaScript on purpose: it runs before anything is compiled.
//
// dist/ is current when its stamp is newer than every file under server/ and migrations/ and the
// TypeScript configuration. Otherwise it is rebuilt from scratch (so a deleted source, such as a
// removed migration, leaves nothing behind) with the project's own TypeScript compiler. An install
// without dev dependencies cannot build: it gets a clear message instead of running stale code.
// Flags: --force rebuilds even when current; --if-possible (used on install) skips quietly when the
// compiler is absent.
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const inputs = ['server', 'migrations', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newestMtime(entry) {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

function isCurrent() {
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  return inputs.every((input) => {
    const full = path.join(root, input);
    return !existsSync(full) || newestMtime(full) <= built;
  });
}

function build() {
  let tsc;
  try {
    tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    // On install (`prepare`) without dev dependencies there is nothing to build with: say so and
    // let the install finish; `npm start` refuses later if dist/ is still missing or stale.
    if (process.argv.includes('--if-possible')) {
      console.error('TypeScript is not installed (dev dependencies omitted): dist/ was not built.');
      return;
    }
    console.error('dist/ is missing or older than the sources, and the TypeScript compiler is not installed.');
    console.error('Run `npm run build` where dev dependencies are installed (see docs/operations.md), then start again.');
    process.exit(1);
  }
  console.error('building dist/ from the sources…');
  rmSync(dist, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('the build failed; nothing was started');
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

if (process.argv.includes('--force') || !isCurrent()) build();
