import { describe, expect, it } from 'vitest';
import { evaluateGate, type GateConfig, gateConfigSchema, readGateConfig } from '../src/gate.ts';
import { DEFAULT_GATE_CONFIG } from '../src/paths.ts';
import { summarize } from '../src/summarize.ts';
import type { CaseResult, Summary } from '../src/summary.ts';
import { askCase, flip, syntheticRun } from './helpers/synthetic.ts';

const config: GateConfig = gateConfigSchema.parse({
  metrics: {
    hitAt1Moment: { maxDrop: 0.02 },
    hitAt5Moment: { floor: 0.6, maxDrop: 0.02 },
    linkAt1: { maxDrop: 0.02 },
    refusalAccuracy: { floor: 0.5, maxDrop: 0.02 },
    factRecall: { maxDrop: 0.02 },
  },
  latency: { maxP95Ratio: 1.5, graceMs: 5 },
});

const run = (results: CaseResult[], holdout = false): Summary =>
  summarize(results, { dataset: ['synthetic.jsonl'], holdout });
const baseResults = syntheticRun(400, 0.8);
const baseline = run(baseResults);
const searchIds = (pred: (r: CaseResult) => boolean, n: number) =>
  new Set(
    baseResults
      .filter((r) => r.call === 'search' && pred(r))
      .slice(0, n)
      .map((r) => r.id),
  );

describe('gate', () => {
  it('passes the same run', () => {
    const g = evaluateGate(baseline, run(baseResults), config);
    expect(g.pass).toBe(true);
    expect(g.method).toBe('paired-bootstrap');
    expect(g.regressions).toEqual([]);
    expect(g.checks.find((c) => c.metric === 'factRecall')?.status).toBe('skip');
  });

  it('noise: a small random perturbation both ways passes', () => {
    const noisy = flip(
      baseResults,
      new Set([...searchIds((r) => r.pass, 4), ...searchIds((r) => !r.pass, 3)]),
    );
    const g = evaluateGate(baseline, run(noisy), config);
    expect(g.pass).toBe(true);
    const hit = g.checks.find((c) => c.metric === 'hitAt5Moment')!;
    expect(hit.delta).toBeCloseTo(-1 / 400, 9);
    expect(hit.lo!).toBeLessThan(hit.delta!);
    expect(hit.hi!).toBeGreaterThan(hit.delta!);
    // it still reports what changed
    expect(g.regressions).toHaveLength(4);
    expect(g.improvements).toBe(3);
  });

  it('fails when a regression case that passed on the baseline fails, though every metric is in its margin', () => {
    const guard = searchIds((r) => r.pass, 1);
    const [id] = [...guard];
    const asRegression = (rs: CaseResult[]) =>
      rs.map((r): CaseResult => (r.id === id ? { ...r, kind: 'regression' as const } : r));
    const g = evaluateGate(
      run(asRegression(baseResults)),
      run(asRegression(flip(baseResults, guard))),
      config,
    );
    expect(g.checks.every((c) => c.status !== 'fail')).toBe(true);
    expect(g.pass).toBe(false);
    expect(g.reasons).toEqual([`1 regression case(s) passed on the baseline and fail now: ${id}`]);
    // The same flip of an ordinary case is noise the margins allow.
    expect(evaluateGate(baseline, run(flip(baseResults, guard)), config).pass).toBe(true);
  });

  it('a drop smaller than noise can explain passes even though the point estimate moved', () => {
    const g = evaluateGate(
      baseline,
      run(
        flip(
          baseResults,
          searchIds((r) => r.pass, 8),
        ),
      ),
      config,
    );
    expect(g.checks.find((c) => c.metric === 'hitAt5Moment')!.delta).toBeCloseTo(-8 / 400, 9);
    expect(g.pass).toBe(true);
  });

  it('a real drop fails, says why, and lists the cases that went from pass to fail', () => {
    const lost = searchIds((r) => r.pass, 40);
    const g = evaluateGate(baseline, run(flip(baseResults, lost)), config);
    expect(g.pass).toBe(false);
    const hit = g.checks.find((c) => c.metric === 'hitAt5Moment')!;
    expect(hit.status).toBe('fail');
    expect(hit.hi!).toBeLessThan(-0.02);
    expect(g.reasons.some((r) => r.startsWith('hitAt5Moment: dropped 0.100'))).toBe(true);
    expect(new Set(g.regressions.map((r) => r.id))).toEqual(lost);
    expect(g.worst.find((w) => w.metric === 'hitAt5Moment')?.cases).toHaveLength(5);
  });

  it('the verdict is deterministic', () => {
    const cand = run(
      flip(
        baseResults,
        searchIds((r) => r.pass, 12),
      ),
    );
    expect(evaluateGate(baseline, cand, config)).toEqual(evaluateGate(baseline, cand, config));
  });

  it('floors apply to the candidate whatever the baseline', () => {
    const weak = run(syntheticRun(400, 0.5, 11));
    const g = evaluateGate(weak, weak, config);
    expect(g.pass).toBe(false);
    expect(g.reasons).toEqual([expect.stringMatching(/^hitAt5Moment: 0\.\d+ below floor 0\.6$/)]);
  });

  it('a metric the candidate no longer reports fails', () => {
    const noRefusals = run(baseResults.filter((r) => r.call === 'search'));
    const g = evaluateGate(baseline, noRefusals, config);
    expect(g.pass).toBe(false);
    expect(g.reasons.join('\n')).toMatch(/refusalAccuracy: missing in candidate/);
    expect(g.reasons.join('\n')).toMatch(/candidate lacks 40 baseline case/);
  });

  it('refusal regressions fail on accuracy', () => {
    const never = baseResults.map((r) =>
      r.call === 'ask' ? askCase(r.id, r.expectRefusal!, false, r.latencyMs) : r,
    );
    const g = evaluateGate(baseline, run(never), config);
    expect(g.pass).toBe(false);
    expect(g.checks.find((c) => c.metric === 'refusalAccuracy')!.status).toBe('fail');
  });

  it('latency is gated only as a ratio of p95 against a reference measured alongside', () => {
    const slow = run(baseResults.map((r) => ({ ...r, latencyMs: r.latencyMs * 2 })));
    const reference = { summary: baseline, label: 'main.json' };
    const g = evaluateGate(baseline, slow, config, { reference });
    expect(g.pass).toBe(false);
    expect(g.latency).toMatchObject({ gated: true, reference: 'main.json', status: 'fail' });
    expect(g.latency?.ratio).toBeCloseTo(2, 1);
    expect(g.reasons[0]).toMatch(/^latencyP95Ms .* is ×2\.00 the reference's .* measured alongside/);
    const bit = run(baseResults.map((r) => ({ ...r, latencyMs: r.latencyMs * 1.2 })));
    expect(evaluateGate(baseline, bit, config, { reference }).pass).toBe(true);
    // A slow reference machine moment does not fail the candidate: only the pair measured together counts.
    expect(evaluateGate(baseline, slow, config, { reference: { summary: slow, label: 'main' } }).pass).toBe(
      true,
    );
  });

  it('without a reference, latency is reported and never gated (a baseline from another machine)', () => {
    const slow = run(baseResults.map((r) => ({ ...r, latencyMs: r.latencyMs * 4 })));
    const g = evaluateGate(baseline, slow, config);
    expect(g.pass).toBe(true);
    expect(g.latency).toMatchObject({ gated: false, reference: null, status: 'skip' });
    expect(g.latency?.ratio).toBeCloseTo(4, 1);
    expect(g.latency?.note).toMatch(/not gated: no reference/);
  });

  it('more failed calls than the baseline fail', () => {
    const broken = baseResults.map((r, i) => (i === 3 ? { ...r, error: 'boom' } : r));
    const g = evaluateGate(baseline, run(broken), config);
    expect(g.pass).toBe(false);
    expect(g.reasons).toContain('1 failed call(s) in the candidate vs 0 in the baseline');
  });

  it('holdout: aggregates only, drops judged from stored standard errors', () => {
    const sealedBase = run(baseResults, true);
    expect(sealedBase.results).toBeUndefined();
    const same = evaluateGate(sealedBase, run(baseResults, true), config);
    expect(same.pass).toBe(true);
    expect(same.method).toBe('unpaired-normal');
    const lost = searchIds((r) => r.pass, 80);
    const g = evaluateGate(sealedBase, run(flip(baseResults, lost), true), config);
    expect(g.pass).toBe(false);
    expect(g.holdout).toBe(true);
    expect(g.regressions).toEqual([]);
    expect(g.worst).toEqual([]);
    expect(JSON.stringify(g)).not.toMatch(/query s\d/);
  });

  it('reads and validates the committed gate config', async () => {
    const c = await readGateConfig(DEFAULT_GATE_CONFIG);
    expect(c.metrics.hitAt5Moment).toEqual({ floor: 0.85, maxDrop: 0.015 });
    expect(c.mode).toBe('non-inferiority');
    expect(c.power).toEqual({ record: 'baselines/power.json', maxFalseFailure: 0.05, detectPower: 0.8 });
    expect(c.bootstrap.resamples).toBe(2000);
    expect(() => gateConfigSchema.parse({ metrics: { hitAt7: { maxDrop: 0.1 } } })).toThrow(/unknown metric/);
  });
});
