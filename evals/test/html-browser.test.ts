import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium, runBrowserTests } from '@dark-factory/kit/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateGate, gateConfigSchema } from '../src/gate.ts';
import { renderHtml } from '../src/report/html.ts';
import { summarize } from '../src/summarize.ts';
import { flip, syntheticRun } from './helpers/synthetic.ts';

let browser: Browser;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evals-html-'));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

// CI installs Debian's chromium (scripts/setup.sh --ci): there a missing browser fails the run.
describe.runIf(runBrowserTests)('HTML report in Chromium', () => {
  it('opens from disk with no server and draws its charts', async () => {
    const base = syntheticRun(200, 0.8);
    const lost = new Set(
      base
        .filter((r) => r.pass && r.call === 'search')
        .slice(0, 25)
        .map((r) => r.id),
    );
    const baseline = summarize(base, { dataset: ['dev.jsonl'], holdout: false });
    const candidate = summarize(flip(base, lost), { dataset: ['dev.jsonl'], holdout: false });
    const gate = evaluateGate(
      baseline,
      candidate,
      gateConfigSchema.parse({ metrics: { hitAt5Moment: { maxDrop: 0.02 } } }),
    );
    const file = path.join(dir, 'report.html');
    await writeFile(file, renderHtml({ baseline, candidate, gate }));

    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);

    expect(await page.title()).toBe('Evals report');
    const charts = await page.$$eval('svg.chart', (els) =>
      els.map((e) => ({
        name: e.getAttribute('data-chart'),
        bars: e.querySelectorAll('rect.bar').length,
        w: e.getBoundingClientRect().width,
      })),
    );
    expect(charts.map((c) => c.name)).toEqual(['metrics', 'by-kind', 'latency', 'latency-baseline']);
    for (const c of charts) {
      expect(c.bars, c.name ?? '').toBeGreaterThan(2);
      expect(c.w).toBeGreaterThan(200);
    }
    // one bar per rate metric the candidate reports
    const rates = Object.keys(candidate.metrics).filter((k) => !/Ms$|Tokens$|[uU]sd$/.test(k));
    expect(charts[0]!.bars).toBe(rates.length);
    // the failing metric is drawn in red
    const failedFill = await page.$eval('svg[data-chart="metrics"] rect.bar:first-of-type', (r) =>
      r.getAttribute('fill'),
    );
    expect(failedFill).toBeTruthy();
    expect(await page.locator('svg[data-chart="metrics"] rect[fill="#dc2626"]').count()).toBe(1);
    expect(await page.locator('.verdict.fail').textContent()).toBe('Gate failed');
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });
});
