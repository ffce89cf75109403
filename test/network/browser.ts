import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildRoot } from '../support/paths.js';

/** Debian's chromium package: scripts/test.sh installs it (never a download of a browser build). */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface PageRow {
  readonly name: string;
  readonly band: string;
  readonly bandText: string;
  readonly history: string[];
  readonly lastError: string;
  readonly own: string;
  readonly wrong: string;
}

export interface ReportPage {
  rows(): Promise<PageRow[]>;
  histogram(): Promise<{ label: string; count: number; height: number }[]>;
  clickHeader(name: string): Promise<void>;
  evaluate(expression: string): Promise<unknown>;
  /** Every request other than the page's own file, each refused. */
  blockedRequests(): string[];
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

// Run in the page (this project type-checks without the DOM library, so these are plain text).
const ROWS_SCRIPT = `Array.from(document.querySelectorAll('#mirrors tbody tr')).map((tr) => {
  const text = (index) => (tr.cells[index] && tr.cells[index].textContent) || '';
  return {
    name: tr.getAttribute('data-mirror') || '',
    band: (tr.cells[6] && tr.cells[6].getAttribute('data-band')) || '',
    bandText: text(6),
    history: Array.from(tr.querySelectorAll('.cell')).map((cell) => cell.getAttribute('data-state') || ''),
    lastError: text(7),
    own: text(8),
    wrong: text(9),
  };
})`;
const HISTOGRAM_SCRIPT = `Array.from(document.querySelectorAll('#histogram .bar')).map((bar) => ({
  label: bar.getAttribute('data-label') || '',
  count: Number(bar.getAttribute('data-count')),
  height: bar.querySelector('rect').getBBox().height,
}))`;

export function buildRootPath(...parts: string[]): string {
  return join(buildRoot, ...parts);
}

/** Opens the page in headless Chromium with a fresh profile; every request but the page itself is refused and recorded. */
export async function openReportPage(url: string): Promise<ReportPage> {
  const profile = await mkdtemp(join(tmpdir(), 'mirrorsync-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 900 }, offline: true });
    const blocked: string[] = [];
    await context.route('**/*', async (route) => {
      if (route.request().url() === url) return route.continue();
      blocked.push(route.request().url());
      return route.abort();
    });
    const page: Page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (request) => {
      if (request.url() !== url && !blocked.includes(request.url())) blocked.push(request.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    const open = context;
    return {
      rows: async () => (await page.evaluate(ROWS_SCRIPT)) as PageRow[],
      histogram: async () => (await page.evaluate(HISTOGRAM_SCRIPT)) as { label: string; count: number; height: number }[],
      clickHeader: async (name) => {
        const sortOf = `(Array.from(document.querySelectorAll('#mirrors th')).find((th) => th.textContent === ${JSON.stringify(name)}) || {getAttribute: () => null}).getAttribute('aria-sort')`;
        const before = (await page.evaluate(sortOf)) as string | null;
        await page.click(`#mirrors th:text-is("${name}")`);
        // The page's own script marks the head it sorted by: wait for that fact.
        await page.waitForFunction(`(${sortOf}) !== null && (${sortOf}) !== ${JSON.stringify(before)}`);
      },
      evaluate: (expression) => page.evaluate(expression),
      blockedRequests: () => [...blocked],
      screenshot: async (path) => {
        await page.screenshot({ path, fullPage: true });
      },
      close: async () => {
        await open.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
