#!/usr/bin/env node
// Runs every `*.test.ts` next to the code (src/, and bench/'s own helpers) with node's test runner through tsx.
// Node 20's --test does not expand globs, so the files are listed here.
// Usage: npm test [-- <substring filter>...]
//        node scripts/run-tests.mjs --browser   (the suites that drive Chromium: *.browser.test.ts)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const browser = process.argv.includes('--browser');
const filters = process.argv.slice(2).filter((a) => a !== '--browser');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = [...walk(join(root, 'src')), ...walk(join(root, 'bench'))]
  .sort()
  .filter((f) => f.endsWith('.browser.test.ts') === browser)
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
