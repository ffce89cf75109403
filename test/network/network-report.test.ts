import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { checkNetwork } from '../../src/network/check.js';
import { openHistory } from '../../src/network/store.js';
import { summarizeNetwork } from '../../src/network/summary.js';
import { closedPort, createLab, type Lab } from '../lab/index.js';
import { runCli } from '../support/cli.js';
import { buildRootPath, openReportPage, type ReportPage } from './browser.js';
import { HOSTILE, HOUR, MAX_CONNECTIONS_LINE, buildMirrorLab, type MirrorLab } from './mirror-lab.js';
import { assertArchwebV3 } from './archweb-v3.js';

const CHECKS = 6;
const F = 'fresh';
const B = 'bad';
const S = 'suspect';
const EXPECTED: Record<string, { band: string; history: string[] }> = {
  master: { band: 'fresh', history: [F, F, F, F, F, F, S] },
  stale: { band: 'old', history: ['old', 'old', 'old', 'old', 'old', 'old', S] },
  flapping: { band: 'fresh', history: [F, B, F, B, F, B, S] },
  down: { band: 'bad', history: [B, B, B, B, B, B, S] },
  httponly: { band: 'fresh', history: [F, F, F, F, F, F, S] },
  failedrun: { band: 'oldish', history: ['oldish', 'oldish', 'oldish', 'oldish', 'oldish', 'oldish', S] },
  hostile: { band: 'bad', history: [B, B, B, B, B, B, S] },
};

describe('network check and report on a lab network of seven mirrors', () => {
  let lab: Lab;
  let net: MirrorLab;
  let db: string;
  let out: string;
  let page: ReportPage | undefined;
  const completionBefore = new Map<string, number | null>();

  before(async () => {
    lab = await createLab();
    // Six hourly checks ending an hour ago, then the all-down check now.
    net = await buildMirrorLab(lab, new Date(Date.now() - CHECKS * HOUR));
    db = lab.path('history', 'sage-network.sqlite');
    out = lab.path('report');
    const config = await loadConfig({ file: net.configPath, env: {}, cwd: lab.root });
    const store = await openHistory(db);
    try {
      for (let i = 0; i < CHECKS; i += 1) {
        if (i % 2 === 1) await net.flapping.stop();
        else if (!net.flapping.running) await net.flapping.restart();
        const check = await checkNetwork(config, { now: new Date(net.start.getTime() + i * HOUR) });
        assert.equal(check.suspect, false, `check ${i} is not suspect`);
        store.append(check);
      }
      for (const url of summarizeNetwork(store.checks(), new Date(), 86_400).mirrors.flatMap((mirror) => mirror.urls)) {
        completionBefore.set(`${url.source} ${url.protocol}`, url.completion);
      }
    } finally {
      store.close();
    }
  });
  after(async () => {
    await page?.close();
    await lab.dispose();
  });

  test('the history records each source per protocol with what the mirror says of itself', async () => {
    const store = await openHistory(db);
    const checks = store.checks();
    store.close();
    assert.equal(checks.length, CHECKS);
    const last = checks.at(-1);
    const rows = new Map(last?.rows.map((row) => [`${row.source} ${row.protocol}`, row]));
    assert.deepEqual([...rows.keys()].sort(), ['down rsync', 'failedrun http', 'failedrun rsync', 'flapping rsync', 'hostile rsync', 'httponly http', 'master http', 'master rsync', 'stale rsync']);
    assert.equal(rows.get('master http')?.ok, true);
    assert.equal(rows.get('flapping rsync')?.ok, false, 'the flapping daemon is down at the last check');
    assert.match(rows.get('down rsync')?.error ?? '', /^unreachable: /);
    const failed = rows.get('failedrun http')?.own;
    assert.equal(failed?.result, 'failed');
    assert.equal(failed?.logError, MAX_CONNECTIONS_LINE, 'the @ERROR line of its log, read from the tail');
    assert.equal(rows.get('httponly http')?.own, null, 'publishes nothing of its own');
    const hostile = rows.get('hostile rsync');
    assert.equal(hostile?.own?.error, HOSTILE.statusError, 'read over rsync, kept as text');
    assert.equal(hostile?.own?.logError, HOSTILE.logLine);
    assert.match(hostile?.error ?? '', /<script>/, 'its trace quoted in the error');
  });

  test('a check in which every source fails is suspect (exit 69) and lowers no completion', async () => {
    const down = lab.path('down.json');
    const config = JSON.parse(await readFile(net.configPath, 'utf8')) as { sources: Record<string, unknown>[] };
    for (const source of config.sources) {
      if (source['url'] !== undefined) source['url'] = `rsync://127.0.0.1:${await closedPort(lab)}/sage/`;
      if (source['http'] !== undefined) source['http'] = `http://127.0.0.1:${await closedPort(lab)}/`;
    }
    await writeFile(down, JSON.stringify(config));
    const result = await runCli(['network', 'check', '--config', down, '--db', db, '--json'], { cwd: lab.root, timeoutMs: 60_000 });
    assert.equal(result.code, 69, result.stderr);
    const printed = JSON.parse(result.stdout) as { suspect: boolean; sources: { ok: boolean }[] };
    assert.equal(printed.suspect, true);
    assert.ok(printed.sources.every((row) => !row.ok));
    const store = await openHistory(db);
    const summary = summarizeNetwork(store.checks(), new Date(), 86_400);
    store.close();
    for (const url of summary.mirrors.flatMap((mirror) => mirror.urls)) {
      assert.equal(url.completion, completionBefore.get(`${url.source} ${url.protocol}`), `${url.source} over ${url.protocol}`);
    }
    assert.ok(summary.mirrors.every((mirror) => mirror.history.at(-1)?.state === 'suspect'));
  });

  test('report writes index.html and an archweb v3 status.json', async () => {
    const result = await runCli(['network', 'report', '--config', net.configPath, '--db', db, '--out', out], { cwd: lab.root });
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(await readFile(join(out, 'status.json'), 'utf8')) as Record<string, unknown>;
    assertArchwebV3(status);
    const urls = status['urls'] as Record<string, unknown>[];
    assert.equal(urls.length, 9);
    const masterRsync = urls.find((url) => url['name'] === 'master' && url['protocol'] === 'rsync');
    assert.equal(masterRsync?.['completion_pct'], 1);
    const flapping = urls.find((url) => url['name'] === 'flapping');
    assert.equal(flapping?.['completion_pct'], 0.5, 'three of six counted checks; the suspect one is not counted');
    const html = await readFile(join(out, 'index.html'), 'utf8');
    assert.ok(!html.includes('<script>window.__pwned'), 'no script from a mirror reaches the page as markup');
    assert.ok(html.includes('&#60;script&#62;window.__pwned'), 'it is there as text');
  });

  describe('the page in headless Chromium', () => {
    before(async () => {
      page = await openReportPage(pathToFileURL(join(out, 'index.html')).href);
    });

    test('one row per mirror, each with its band and its last checks', async () => {
      const rows = await page!.rows();
      assert.deepEqual(rows.map((row) => row.name).sort(), Object.keys(EXPECTED).sort());
      for (const row of rows) {
        const expected = EXPECTED[row.name];
        assert.equal(row.band, expected?.band, `${row.name}'s band`);
        assert.deepEqual(row.history, expected?.history, `${row.name}'s last checks`);
        assert.ok(row.bandText.includes(row.band), 'the band reads without colour');
      }
      const failed = rows.find((row) => row.name === 'failedrun');
      assert.match(failed?.wrong ?? '', /last sync \d+ h ago/);
      assert.ok(failed?.wrong.includes(`its own log says: ${MAX_CONNECTIONS_LINE}`), failed?.wrong);
      assert.match(rows.find((row) => row.name === 'stale')?.wrong ?? '', /last sync 3 d ago/);
    });

    test('the age histogram has a bar per bin, as many mirrors as each bin holds', async () => {
      const bars = await page!.histogram();
      assert.deepEqual(
        bars.map((bar) => [bar.label, bar.count]),
        [['< 6 h', 0], ['6–12 h', 3], ['12–24 h', 0], ['1–2 d', 1], ['2–3 d', 0], ['3–7 d', 1], ['> 7 d', 0], ['bad', 2]],
      );
      for (const bar of bars) assert.equal(bar.height > 0, bar.count > 0, `${bar.label}: a bar only where mirrors are`);
    });

    test('no script from a mirror ran, its text shows as text, and no request left the page', async () => {
      assert.equal(await page!.evaluate('typeof window.__pwned'), 'undefined');
      const hostile = (await page!.rows()).find((row) => row.name === 'hostile');
      assert.ok(hostile?.own.includes(HOSTILE.statusError), hostile?.own);
      assert.ok(hostile?.lastError.includes('<script>window.__pwned = "trace"</script>'), hostile?.lastError);
      assert.deepEqual(page!.blockedRequests(), []);
    });

    test('a click on a column head sorts the rows, a second click reverses them', async () => {
      await page!.clickHeader('Band');
      const order = ['fresh', 'oldish', 'old', 'bad'];
      const bands = (await page!.rows()).map((row) => order.indexOf(row.band));
      assert.deepEqual(bands, [...bands].sort((a, b) => a - b));
      await page!.clickHeader('Mirror');
      await page!.clickHeader('Mirror');
      const names = (await page!.rows()).map((row) => row.name);
      assert.deepEqual(names, [...names].sort().reverse());
    });

    test('a screenshot of the page', async () => {
      const file = process.env['MIRRORSYNC_UPDATE_DOCS'] === '1' ? join(buildRootPath('..'), 'docs', 'network-report.png') : buildRootPath('network-report.png');
      await mkdir(join(file, '..'), { recursive: true });
      await page!.clickHeader('Band');
      await page!.screenshot(file);
      const png = await readFile(file);
      assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    });
  });
});
