/**
 * The browser suites' Chromium: launched once per suite from the machine's package (they fail,
 * never skip, when it is missing: .ci/run installs it), and a report page opened from a file with
 * every request off `file://` and every page or console error collected.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chromium headless. Without the background-networking, component-update and sync flags it tries
 * Google's hosts at start, which this machine's closed network refuses.
 */
export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A browser suite's set-up: Chromium launched before the file's tests and closed after them, and
 * a temporary directory (`prefix…`) for its pages and screenshots, removed after them.
 */
export async function browserSuite(prefix: string): Promise<{ browser: () => Browser; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { browser: () => browser as Browser, dir };
}

/** Writes `html` to `dir`/`name`.html and opens it in a 1200 × 900 page, watching requests and errors from the start. */
export async function openReportPage(
  browser: Browser,
  dir: string,
  name: string,
  html: string,
): Promise<{ page: Page; external: string[]; errors: string[] }> {
  const path = join(dir, `${name}.html`);
  await writeFile(path, html);
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const external: string[] = [];
  const errors: string[] = [];
  page.on('request', (req) => {
    if (!req.url().startsWith('file://')) external.push(req.url());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(`file://${path}`);
  return { page, external, errors };
}
