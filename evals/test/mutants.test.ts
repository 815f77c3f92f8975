import { describe, expect, it } from 'vitest';
import { loadSuite } from '../src/dataset.ts';
import { readGateConfig } from '../src/gate.ts';
import { MUTANTS, type Mutant, recordingClient, runMutationCheck, sampleCases } from '../src/mutants.ts';
import { DATASETS_DIR, DEFAULT_GATE_CONFIG } from '../src/paths.ts';
import { fakeRagFromGold } from './helpers/fake-rag.ts';
import { DEV_SETS } from './helpers/paths.ts';

const suite = await loadSuite(DEV_SETS, { factsDir: DATASETS_DIR });
const config = await readGateConfig(DEFAULT_GATE_CONFIG);

describe('sampling', () => {
  it('is stratified, seeded and keeps every kind', () => {
    const s = sampleCases(suite.cases, 300, 1);
    expect(s).toHaveLength(300);
    const kinds = (xs: typeof s) =>
      Object.fromEntries(
        ['key-moment', 'concept', 'answerable', 'refusal'].map((k) => [
          k,
          xs.filter((c) => c.kind === k).length,
        ]),
      );
    expect(kinds(s)).toEqual({ 'key-moment': 220, concept: 40, answerable: 30, refusal: 10 });
    expect(sampleCases(suite.cases, 300, 1).map((c) => c.id)).toEqual(s.map((c) => c.id));
    expect(sampleCases(suite.cases, 300, 2).map((c) => c.id)).not.toEqual(s.map((c) => c.id));
    expect(sampleCases(suite.cases, 5000, 1)).toBe(suite.cases);
  });
});

describe('mutation check against a gold-built fake of rag-app', () => {
  const cases = sampleCases(suite.cases, 300, 1);

  it('the gate fails every mutant and passes the unmutated control', async () => {
    const report = await runMutationCheck(cases, { client: fakeRagFromGold(suite.cases), config, seed: 1 });
    expect(report.control.pass).toBe(true);
    expect(report.baseline.metrics.hitAt5Moment).toBeGreaterThan(0.85);
    expect(report.mutants.map((m) => m.name)).toEqual(MUTANTS.map((m) => m.name));
    for (const m of report.mutants)
      expect({ mutant: m.name, killed: m.killed }).toEqual({ mutant: m.name, killed: true });
    expect(report.ok).toBe(true);
    const failing = (name: string) =>
      report.mutants
        .find((m) => m.name === name)!
        .gate.checks.filter((c) => c.status === 'fail')
        .map((c) => c.metric);
    expect(failing('citations-dropped')).toContain('citationMomentAccuracy');
    expect(failing('hits-shuffled')).toEqual(
      expect.arrayContaining(['hitAt1Moment', 'mrrMoment', 'linkAt1']),
    );
    expect(failing('random-videos')).toEqual(
      expect.arrayContaining(['hitAt5Video', 'recallAt10Video', 'hitAt5Moment']),
    );
    expect(failing('refuse-always')).toEqual(expect.arrayContaining(['refusalAccuracy', 'factRecall']));
    expect(failing('refuse-never')).toContain('refusalAccuracy');
    expect(failing('links-shifted')).toContain('linkAt1');
    expect(failing('links-shifted')).not.toContain('hitAt5Video');
  });

  it('a mutant that changes nothing survives, and the check says so', async () => {
    const identity: Mutant = { name: 'identity', description: 'no change', wrap: (c) => c };
    const report = await runMutationCheck(cases.slice(0, 120), {
      client: fakeRagFromGold(suite.cases),
      config,
      mutants: [identity],
    });
    expect(report.mutants[0]!.killed).toBe(false);
    expect(report.ok).toBe(false);
  });

  it('the recorded system is called once per query; mutants work on copies', async () => {
    const fake = fakeRagFromGold(suite.cases);
    const rec = recordingClient(fake);
    const q = cases[0]!.query;
    const first = await rec.search(q, { k: 10 });
    first[0]!.videoId = 'tampered';
    const again = await rec.search(q, { k: 10 });
    expect(again[0]!.videoId).not.toBe('tampered');
    expect(fake.calls).toBe(1);
  });
});
