/**
 * Scenario (a), which is also `pnpm factory demo`: triage → plan → implement (a real edit of a
 * rag-app source file that fails the lint validation) → fix-1 → validate-1 (commands and main's
 * real evals gate on a corpus slice) → review-1 → squash merge → verify, on a temporary clone.
 */

import { mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalForge } from '@dark-factory/forge';
import { launchChromium, runBrowserTests } from '@dark-factory/kit/testing';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/cli/context.ts';
import { main } from '../src/cli/main.ts';
import { type DemoResult, removeDemo, runDemo } from '../src/demo/run-demo.ts';
import { type RunningServer, startFactoryServer } from '../src/server/start.ts';
import { gateReportMarker } from '../src/steps/gate-report.ts';
import { formatUsd } from '../src/watch/format.ts';
import type { RunTimeline } from '../src/watch/timeline.ts';
import { git } from '../src/workspace/git.ts';
import { hasSharedData, mustHaveShared, REPO_ROOT, sharedDataDir } from './support/gate-fixture.ts';
import { GATE_CACHE_DIR, seedStore, storeTemplate, trace } from './support/scenario.ts';

// The migrated store the demo's run starts from, made before the cases' clocks start.
beforeAll(() => storeTemplate());

let result: DemoResult | undefined;
let watch: RunningServer | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  await watch?.close();
  if (result) await removeDemo(result);
});

/** Screenshots of the watch page after this run (gitignored). */
const SHOTS = path.join(REPO_ROOT, '.data', 'artifacts', 'watch');

const shared = hasSharedData() ? sharedDataDir() : undefined;
if (!shared && mustHaveShared) throw new Error(`CI needs the shared data at ${sharedDataDir()} (SHARED_DIR)`);

describe('scenario (a): an issue to a squash merge', () => {
  it('merges exactly one commit that fixes the issue, after one fix round, with the gate passed', async () => {
    const lines: string[] = [];
    const workRoot = await mkdtemp(path.join(tmpdir(), 'factory-demo-'));
    await seedStore(path.join(workRoot, 'store'));
    result = await runDemo({
      sourceRepo: REPO_ROOT,
      workRoot,
      sharedDir: shared,
      progress: (l) => {
        lines.push(l);
        trace(l);
      },
      env: { ...process.env, DATABASE_URL: '', FACTORY_GATE_CACHE_DIR: GATE_CACHE_DIR },
    });
    const { report } = result;
    expect(report.status, lines.join('\n')).toBe('merged');
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'intake:ok',
      'triage:ok',
      'plan:ok',
      'implement:ok',
      'validate:failed',
      'fix-1:ok',
      'validate-1:ok',
      'review-1:ok',
      'merge:ok',
      'verify:ok',
    ]);
    expect(result.gate).toBe(shared ? 'slice' : 'none');
    // Main's app left its PGlite initdb cache for the candidates (read-only to them: gate/measure.ts).
    if (shared) expect(readdirSync(path.join(GATE_CACHE_DIR, 'pglite-initdb'))).toHaveLength(1);
    expect(result.model.unused).toBe(0);

    // Exactly one new commit on main, a squash with the trailer, that touches only the rag-app file.
    expect(result.newCommits).toHaveLength(1);
    const message = (await git(result.repoDir, ['log', '-1', '--format=%B', 'main'])).stdout;
    expect(message).toContain('Fixes #1');
    expect(message).toContain(`Factory-Run: ${report.runId}`);
    const files = (await git(result.repoDir, ['show', '--name-only', '--format=', 'main'])).stdout.trim();
    expect(files).toBe('rag-app/src/cli/main.ts');
    const source = (await git(result.repoDir, ['show', 'main:rag-app/src/cli/main.ts'])).stdout;
    expect(source).toContain("'--k <n>', 'passages to retrieve (default 8)'");

    const forge = new LocalForge({ dir: result.forgeDir });
    const issue = await forge.getIssue(1);
    expect(issue.state).toBe('closed');
    expect(issue.labels).toEqual(expect.arrayContaining(['factory:accepted', 'factory:merged']));
    const [pr] = await forge.listPullRequests({ state: 'merged' });
    expect(pr?.number).toBe(report.pr);
    expect(pr?.body).toContain('Fixes #1');
    expect(pr?.body).toContain('Evals gate');
    // The gate's report is commented on the PR once, with main's evals measured in the same run.
    const gateComments = (await forge.listComments(pr!.number)).filter((c) =>
      c.body.includes(gateReportMarker(report.runId)),
    );
    expect(gateComments).toHaveLength(1);
    if (shared) {
      expect(gateComments[0]?.body).toContain(`(run \`${report.runId}\`): pass`);
      expect(gateComments[0]?.body).toContain('### Evals gate report');
    } else {
      expect(gateComments[0]?.body).toContain('no evals gate configured');
    }

    // The run and its ledger are stored: status --run reads them back.
    const env = {
      ...process.env,
      DATABASE_URL: '',
      INIT_CWD: result.workRoot,
      FORGE_DIR: result.forgeDir,
      FACTORY_STORE_DIR: path.join(result.workRoot, 'store'),
      FACTORY_WORK_DIR: path.join(result.workRoot, 'work'),
    };
    let out = '';
    const code = await main(['status', '--run', report.runId, '--json'], {
      ...createContext(env),
      out: (t) => {
        out += t;
      },
      err: () => undefined,
    });
    expect(code).toBe(0);
    const detail = JSON.parse(out) as {
      ledger: { calls: number; inputTokens: number };
      events: { kind: string }[];
    };
    expect(detail.ledger.calls).toBe(result.model.requests);
    expect(detail.ledger.inputTokens).toBeGreaterThan(0);
    expect(detail.events.filter((e) => e.kind === 'command').length).toBeGreaterThanOrEqual(4);
    expect(report.cost.usd).not.toBeNull();
  }, 400_000);
});

// The watch page over the run scenario (a) just made: the same store, read by the factory's server.
describe.runIf(runBrowserTests)('scenario (a) on the watch page (Chromium)', () => {
  it('shows the run, its timeline, the merge and the scoreboard, also at phone width', async () => {
    if (!result) throw new Error('scenario (a) did not run');
    const { report } = result;
    mkdirSync(SHOTS, { recursive: true });
    watch = await startFactoryServer({
      host: '127.0.0.1',
      port: 0,
      env: { PATH: process.env.PATH },
      storeDir: path.join(result.workRoot, 'store'),
      repo: result.repoDir,
      base: 'main',
      forge: new LocalForge({ dir: result.forgeDir }),
      logger: pino({ level: 'silent' }),
    });
    expect(watch.access()).toMatchObject({ kind: 'pglite', via: 'direct' });
    const base = watch.url;

    // The JSON behind the run page says what the run report said.
    const timeline = (await (await fetch(`${base}/api/runs/${report.runId}`)).json()) as RunTimeline;
    expect(timeline.steps.map((s) => [s.name, s.status])).toEqual(
      report.steps.map((s) => [s.name, s.status]),
    );
    expect(timeline.run).toMatchObject({ status: 'merged', pr: report.pr, issue: 1 });
    expect(timeline.diff?.patch).toContain('+');

    browser = await launchChromium();
    const shot = (p: Page, name: string) =>
      p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    const noSideScroll = (p: Page) =>
      p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    const desk = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const phone = await browser.newPage({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
    });

    // Runs: the issue, merged, its PR and cost, followed live (the bundle ran and the stream is open).
    for (const [p, tag] of [
      [desk, 'desktop'],
      [phone, 'phone'],
    ] as const) {
      await p.goto(`${base}/`);
      await p.locator('body[data-ready="true"]').waitFor();
      const row = p.locator(`tr.run[data-run="${report.runId}"]`);
      await expect.poll(() => row.locator('.badge').first().textContent()).toBe('merged');
      expect(await row.locator('[data-label="PR"]').textContent()).toContain(`#${report.pr}`);
      expect(await row.locator('[data-label="Cost"]').textContent()).toContain(formatUsd(report.cost.usd));
      expect(await row.textContent()).toContain('rag ask --help');
      await p.locator('#runs[data-live="on"]').waitFor();
      expect(await noSideScroll(p), `${tag}: runs page wider than the screen`).toBe(true);
      await shot(p, `runs-${tag}`);
    }

    // The timeline: every step, the failing lint with its exit code, the gate, the merge's checks, the diff.
    for (const [p, tag] of [
      [desk, 'desktop'],
      [phone, 'phone'],
    ] as const) {
      await p.goto(`${base}/runs/${report.runId}`);
      await p.locator('body[data-ready="true"]').waitFor();
      expect(await p.locator('li.step .step-name').allTextContents()).toEqual(
        report.steps.map((s) => s.name),
      );
      const validate = p.locator('#step-validate');
      expect(await validate.getAttribute('data-status')).toBe('failed');
      expect(await validate.locator('.commands .badge.bad').first().textContent()).toBe('exit 1');
      expect(await validate.locator('pre.output').first().textContent()).toContain(
        'Formatter would have printed',
      );
      const checks = p.locator('#step-merge .checks li');
      expect(await checks.count()).toBeGreaterThanOrEqual(8);
      expect(await p.locator('#step-merge .checks li.bad').count()).toBe(0);
      if (result.gate === 'slice') {
        expect(await p.locator('#step-validate-1 h4', { hasText: 'Evals gate' }).textContent()).toContain(
          'passed',
        );
        expect(await p.locator('#step-validate-1 table.metrics tbody tr').count()).toBeGreaterThan(5);
      }
      await p.locator('#step-review-1 summary').click();
      expect(await p.locator('#step-review-1 .findings').textContent()).toContain('low');
      expect(await p.locator('pre.diff .add').allTextContents()).toContainEqual(
        expect.stringContaining('passages to retrieve (default 8)'),
      );
      expect(await noSideScroll(p), `${tag}: run page wider than the screen`).toBe(true);
      await shot(p, `run-${tag}`);
    }

    // Merges (with the metrics chart when the gate ran) and the scoreboard.
    for (const [p, tag] of [
      [desk, 'desktop'],
      [phone, 'phone'],
    ] as const) {
      await p.goto(`${base}/merges`);
      expect(await p.locator('.merges h3').first().textContent()).toContain(`PR #${report.pr}`);
      if (result.gate === 'slice')
        expect(await p.locator('figure.chart g.series').count()).toBeGreaterThan(0);
      expect(await p.locator('table.spend tbody tr').first().textContent()).toContain(
        formatUsd(report.cost.usd),
      );
      expect(await noSideScroll(p), `${tag}: merges page wider than the screen`).toBe(true);
      await shot(p, `merges-${tag}`);
      await p.goto(`${base}/scoreboard`);
      const figure = (label: string) =>
        p
          .locator('.figure', { has: p.locator('dt', { hasText: new RegExp(`^${label}$`) }) })
          .locator('.value');
      expect(await figure('Merged').textContent()).toBe('1');
      expect(await figure('Merge rate').textContent()).toBe('100 %');
      expect(await figure('Cost per merged PR').textContent()).toBe(formatUsd(report.cost.usd));
      expect(await noSideScroll(p), `${tag}: scoreboard wider than the screen`).toBe(true);
      await shot(p, `scoreboard-${tag}`);
    }
  }, 120_000);
});
