import { seededRandom } from '@dark-factory/kit';
import type { CaseResult } from '../../src/summary.ts';

/** A search case whose retrieval hit (or missed) the gold moment at rank 1. */
export function searchCase(id: string, hit: boolean, latencyMs = 20): CaseResult {
  const v = hit ? 1 : 0;
  return {
    id,
    kind: 'key-moment',
    dataset: 'synthetic.jsonl',
    query: `query ${id}`,
    call: 'search',
    pass: hit,
    scores: {
      hitAt1Video: v,
      hitAt5Video: v,
      hitAt10Video: v,
      mrrVideo: v,
      recallAt10Video: v,
      ndcgAt10: v,
      hitAt1Moment: v,
      hitAt5Moment: v,
      hitAt10Moment: v,
      mrrMoment: v,
      linkAt1: v,
    },
    latencyMs,
    retrieveMs: latencyMs,
  };
}

export function askCase(id: string, expectRefusal: boolean, refused: boolean, latencyMs = 200): CaseResult {
  const ok = expectRefusal === refused;
  return {
    id,
    kind: expectRefusal ? 'refusal' : 'answerable',
    dataset: 'synthetic.jsonl',
    query: `question ${id}`,
    call: 'ask',
    pass: ok,
    scores: { refusalAccuracy: ok ? 1 : 0 },
    expectRefusal,
    refused,
    latencyMs,
    retrieveMs: latencyMs / 4,
    answerMs: (latencyMs * 3) / 4,
  };
}

/** n search cases hitting with probability p, plus 30 answerable and 10 refusal cases. */
export function syntheticRun(n: number, p: number, seed = 7): CaseResult[] {
  const rand = seededRandom(seed);
  const out: CaseResult[] = [];
  for (let i = 0; i < n; i++) out.push(searchCase(`s${i}`, rand() < p, 10 + rand() * 30));
  for (let i = 0; i < 30; i++) out.push(askCase(`a${i}`, false, rand() < 0.05, 150 + rand() * 100));
  for (let i = 0; i < 10; i++) out.push(askCase(`r${i}`, true, rand() < 0.9, 150 + rand() * 100));
  return out;
}

/** Flips the outcome of the given search cases. */
export function flip(results: CaseResult[], ids: Set<string>): CaseResult[] {
  return results.map((r) =>
    ids.has(r.id) && r.call === 'search' ? searchCase(r.id, !r.pass, r.latencyMs) : r,
  );
}
