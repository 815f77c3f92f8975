/**
 * Gate modes, power and the ratchet on small synthetic per-case data (the real dev-set figures are
 * measured with `pnpm evals power` / `pnpm evals mutate` and written in evals/README.md).
 */
import { describe, expect, it } from 'vitest';
import { assertResolvable, evaluateGate, type GateConfig, gateConfigSchema } from '../src/gate.ts';
import { buildPowerRecord, pairedStats } from '../src/power.ts';
import { ratchetBaseline } from '../src/ratchet.ts';
import { judgeSlight } from '../src/slight.ts';
import { failureChance, normalCdf, normalQuantile, powerFigures } from '../src/stats/power.ts';
import { summarize } from '../src/summarize.ts';
import type { CaseResult, Summary } from '../src/summary.ts';
import { churnedRun, churnResults } from '../src/synthetic.ts';
import type { Variant } from '../src/variants.ts';
import { searchCase, syntheticRun } from './helpers/synthetic.ts';

const run = (results: CaseResult[], dataset = 'key-moments.dev.jsonl'): Summary =>
  summarize(
    results.map((r) => ({ ...r, dataset })),
    { dataset: [dataset], holdout: false },
  );
const BOOTSTRAP = { resamples: 1000, seed: 20240601, confidence: 0.95 };
const gateFor = (maxDrop: number, mode: 'non-inferiority' | 'superiority'): GateConfig =>
  gateConfigSchema.parse({ mode, bootstrap: BOOTSTRAP, metrics: { hitAt1Moment: { maxDrop } } });

// The scale: 1,090 key-moment cases, hit@1 at 0.73.
// Only that metric, so the tests stay fast.
const km = run(
  syntheticRun(1090, 0.73, 3)
    .filter((r) => r.call === 'search')
    .map((r) => ({ ...r, scores: { hitAt1Moment: r.scores.hitAt1Moment! } })),
);
const spec = (drop: number, churn: number, seed = 1) => ({
  metric: 'hitAt1Moment' as const,
  drop,
  churn,
  seed,
});

describe('normal approximation', () => {
  it('CDF and quantile are inverse and match the tables', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621, 5);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    for (const p of [0.001, 0.05, 0.3, 0.5, 0.9, 0.999])
      expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
  });

  it('non-inferiority fails a change at the margin 97.5 % of the time; superiority 2.5 %', () => {
    const ni = {
      mode: 'non-inferiority' as const,
      confidence: 0.95,
      detectPower: 0.8,
      maxFalseFailure: 0.05,
    };
    const sup = { ...ni, mode: 'superiority' as const };
    expect(failureChance(-0.03, 0.01, 0.03, ni)).toBeCloseTo(0.975, 3);
    expect(failureChance(-0.03, 0.01, 0.03, sup)).toBeCloseTo(0.025, 3);
    // Neutral change, margin 3 se: NI fails Φ(1.96 − 3) of the time, superiority ~never.
    expect(failureChance(0, 0.01, 0.03, ni)).toBeCloseTo(normalCdf(1.96 - 3), 3);
    expect(failureChance(0, 0.01, 0.03, sup)).toBeLessThan(1e-6);
    const f = powerFigures({ n: 1000, sd: 0.2, margin: 0.03 }, ni);
    expect(f.se).toBeCloseTo(0.2 / Math.sqrt(1000), 9);
    expect(f.mde).toBeCloseTo(0.03 + f.se * (0.8416 - 1.96), 3);
    expect(f.resolvableMargin).toBeCloseTo((1.96 + 1.645) * f.se, 3);
    expect(f.resolved).toBe(true);
    const tight = powerFigures({ n: 1000, sd: 0.2, margin: 0.01 }, ni);
    expect(tight.resolved).toBe(false);
    expect(tight.casesNeeded).toBe(Math.ceil((((1.959964 + 1.644854) * 0.2) / 0.01) ** 2));
    // A metric no run moved still cannot be finer than one case moving: sd ≥ 1/√n.
    expect(powerFigures({ n: 40, sd: 0, margin: 0.02 }, ni).resolved).toBe(false);
  });
});

describe('the issue: −3 points of hitAt1Moment with churn', () => {
  it('churnResults moves exactly the requested cases', () => {
    const c = churnResults(km.results!, spec(0.03, 0.06));
    const s = pairedStats('hitAt1Moment', km.results!, c)!;
    expect(s.delta).toBeCloseTo(-0.03, 2);
    expect(s.churn).toBeCloseTo(0.06, 2);
  });

  it('passes the old gate (superiority, 0.02) and fails non-inferiority at the same margin', () => {
    for (const churn of [0.04, 0.08]) {
      const cand = churnedRun(km, spec(0.03, churn));
      const before = evaluateGate(km, cand, gateFor(0.02, 'superiority'));
      const after = evaluateGate(km, cand, gateFor(0.02, 'non-inferiority'));
      expect({ churn, before: before.pass, after: after.pass }).toEqual({
        churn,
        before: true,
        after: false,
      });
      const c = after.checks[0]!;
      expect(c.rule).toBe('non-inferiority');
      expect(after.reasons[0]).toMatch(
        /^hitAt1Moment: dropped 0\.0[23]\d, not shown to be within -0\.02 \(CI of Δ/,
      );
    }
  });

  it('the same code passes either mode; an unpaired (sealed) comparison is judged as superiority', () => {
    const same = evaluateGate(km, km, gateFor(0.02, 'non-inferiority'));
    expect(same.pass).toBe(true);
    expect(same.mode).toBe('non-inferiority');
    const sealed = { ...km, holdout: true, results: undefined };
    const g = evaluateGate(sealed, sealed, gateFor(0.02, 'non-inferiority'));
    expect(g.pass).toBe(true);
    expect(g.checks[0]!.rule).toBe('superiority');
    // --mode overrides the config
    expect(evaluateGate(km, km, gateFor(0.02, 'superiority'), { mode: 'non-inferiority' }).mode).toBe(
      'non-inferiority',
    );
  });

  it('a neutral change with 2 % churn fails at most ~5 % of seeds at margin 0.02', () => {
    let failures = 0;
    const config = gateFor(0.02, 'non-inferiority');
    for (let seed = 1; seed <= 20; seed++) {
      if (!evaluateGate(km, churnedRun(km, spec(0, 0.02, seed), BOOTSTRAP), config).pass) failures += 1;
    }
    // se = √(0.02/1090) ≈ 0.0043: Φ(1.96 − 0.02/0.0043) ≈ 0.4 %.
    expect(failures).toBeLessThanOrEqual(1);
  });
});

describe('power record and the refusal of unresolvable margins', () => {
  const base = km;
  const variants = [1, 2, 3].map((seed) => ({
    name: `v${seed}`,
    role: 'neutral' as const,
    summary: churnedRun(base, spec(0, 0.04, seed)),
  }));
  const record = buildPowerRecord(base, variants, ['hitAt1Moment'], '2026-01-01T00:00:00Z');

  it('measures the per-case SD of Δ per metric and per dataset', () => {
    expect(record.metrics.hitAt1Moment!.n).toBe(1090);
    // Churn 4 % of ±1 changes: per-case SD ≈ √0.04 = 0.2.
    expect(record.metrics.hitAt1Moment!.sd).toBeCloseTo(0.2, 2);
    expect(record.metrics.hitAt1Moment!.runs).toBe(3);
    expect(record.byDataset['key-moments.dev.jsonl']!.hitAt1Moment!.n).toBe(1090);
    expect(record.datasets).toEqual([{ name: 'key-moments.dev.jsonl', cases: 1090 }]);
    for (const r of record.runs) expect(r.churn.hitAt1Moment).toBeCloseTo(0.04, 2);
  });

  it('refuses a margin the data cannot resolve, naming the metric and the cases it needs', () => {
    const tight = gateConfigSchema.parse({
      mode: 'non-inferiority',
      bootstrap: BOOTSTRAP,
      power: {},
      metrics: { hitAt1Moment: { maxDrop: 0.01 } },
    });
    expect(() => assertResolvable(tight, record)).toThrow(
      /hitAt1Moment: margin 0\.01 cannot be resolved by its 1090 cases .* it needs \d{4} cases, or a margin of at least 0\.02\d/,
    );
    const ok = gateConfigSchema.parse({
      mode: 'non-inferiority',
      bootstrap: BOOTSTRAP,
      power: {},
      metrics: { hitAt1Moment: { maxDrop: 0.03 } },
    });
    expect(() => assertResolvable(ok, record)).not.toThrow();
    const g = evaluateGate(base, base, ok, { power: record });
    expect(g.power?.metrics[0]).toMatchObject({ metric: 'hitAt1Moment', n: 1090, resolved: true });
    expect(g.power?.underpowered).toEqual([]);
  });
});

describe('slight mutants, neutral controls and the synthetic case, judged together', () => {
  const variant = (name: string, role: 'slight' | 'neutral'): Variant => ({
    name,
    description: name,
    role,
    retrieval: {},
  });
  const config = gateConfigSchema.parse({
    mode: 'non-inferiority',
    bootstrap: BOOTSTRAP,
    power: {},
    metrics: { hitAt1Moment: { maxDrop: 0.02 } },
  });

  it('every mutant at or above its margin fails; neutral seeds pass; the −3-with-churn case fails', () => {
    const runs = [
      { variant: variant('minus-3', 'slight'), summary: churnedRun(km, spec(0.03, 0.05)) },
      { variant: variant('minus-half', 'slight'), summary: churnedRun(km, spec(0.005, 0.01)) },
      ...[1, 2, 3, 4].map((seed) => ({
        variant: variant(`neutral-${seed}`, 'neutral'),
        summary: churnedRun(km, spec(0, 0.015, seed)),
      })),
    ];
    const r = judgeSlight(km, runs, { config, syntheticSeeds: 0 });
    expect(r.mutants.map((m) => [m.name, m.verdict, m.ok])).toEqual([
      ['minus-3', 'fail', true],
      ['minus-half', 'pass', true],
    ]);
    expect(r.mutants[0]!.drop).toBeCloseTo(0.03, 2);
    expect(r.mutants[0]!.atOrAboveMargin).toEqual(['hitAt1Moment']);
    expect(r.neutral).toMatchObject({ passed: 4, passRate: 1, ok: true });
    const after = r.synthetic.filter((s) => s.expected === 'fail');
    expect(after).toHaveLength(2);
    for (const s of after) expect(s.verdict).toBe('fail');
    expect(r.synthetic.find((s) => s.name.startsWith('before') && s.name.includes('8 %'))?.verdict).toBe(
      'pass',
    );
    expect(r.ok).toBe(true);
    expect(r.power.find((p) => p.dataset === 'all')).toMatchObject({ metric: 'hitAt1Moment', margin: 0.02 });
  });
});

describe('ratchet', () => {
  const opts = { resamples: 1000, seed: 1, confidence: 0.95 };
  const results = (n: number, hits: (i: number) => boolean) =>
    Array.from({ length: n }, (_, i) => searchCase(`s${i}`, hits(i)));

  it('raises only the metrics that are significantly better, case by case', () => {
    const old = run(results(600, (i) => i % 10 < 7));
    // hitAt1 5 points better on every metric searchCase sets; one metric forced back to the old values.
    const better = results(600, (i) => i % 10 < 7 || i % 20 === 7).map((r, i) => ({
      ...r,
      scores: { ...r.scores, linkAt1: old.results![i]!.scores.linkAt1! },
    }));
    const r = ratchetBaseline(old, run(better), opts, '2026-01-01T00:00:00Z');
    expect(r.raised).toContain('hitAt1Moment');
    expect(r.raised).not.toContain('linkAt1');
    expect(r.baseline.metrics.hitAt1Moment).toBeCloseTo(0.75, 3);
    expect(r.baseline.metrics.linkAt1).toBeCloseTo(0.7, 3);
    expect(r.baseline.results![7]!.pass).toBe(true);
    // A run merely not worse (or worse) leaves the bar where it is.
    const worse = ratchetBaseline(old, run(results(600, (i) => i % 10 < 6)), opts);
    expect(worse.raised).toEqual([]);
    expect(worse.baseline.metrics.hitAt1Moment).toBeCloseTo(0.7, 3);
  });

  it('refuses a run over other cases', () => {
    const old = run(results(100, () => true));
    expect(() => ratchetBaseline(old, run(results(90, () => true)), opts)).toThrow(/datasets changed/);
  });
});
