import type { AskResult, SearchHit } from '@dark-factory/rag-app';
import type { RagClient } from '../../src/client.ts';
import type { EvalCase } from '../../src/dataset.ts';

/** Stable small hash: the fake's imperfections depend on the query, not on call order. */
export function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function hit(videoId: string, start: number, end: number, citeStart: number, score: number): SearchHit {
  return {
    videoId,
    title: `video ${videoId}`,
    published: '2025-01-01',
    start,
    end,
    citeStart,
    url: `https://youtu.be/${videoId}?t=${Math.floor(citeStart)}`,
    text: `passage of ${videoId} at ${start}`,
    segments: [{ start, end, text: `passage of ${videoId} at ${start}` }],
    score,
    scores: { vectorRank: 1, lexicalRank: 1, vector: score, lexical: score },
  };
}

export interface FakeOptions {
  /** Share of search cases (by query hash) whose gold passage sits at rank 3 instead of 1. */
  rank3Rate?: number;
  /** Share of refusal cases (by query hash) the fake wrongly answers. */
  wrongAnswerRate?: number;
}

/**
 * A test double of the system under test (rag-app), built from the datasets' gold: it retrieves the
 * gold moments (plus distractors), answers with the reference facts and cites the gold spans, and
 * refuses what should be refused — with a few deterministic imperfections.
 */
export function fakeRagFromGold(cases: EvalCase[], options: FakeOptions = {}): RagClient & { calls: number } {
  const byQuery = new Map(cases.map((c) => [c.query, c]));
  const pool = [...new Set(cases.flatMap((c) => (c.gold ?? []).map((g) => g.videoId)))];
  for (let i = 0; pool.length < 12; i++) pool.push(`distractor${i}`);
  const rank3 = options.rank3Rate ?? 0.1;
  const wrong = options.wrongAnswerRate ?? 0;
  const state = { calls: 0 };

  function goldHits(c: EvalCase | undefined): SearchHit[] {
    return (c?.gold ?? []).map((g, i) =>
      g.t === null
        ? hit(g.videoId, 0, 30, 0, 1 - i * 0.01)
        : hit(g.videoId, Math.max(0, g.t - 10), g.t + 20, g.t, 1 - i * 0.01),
    );
  }

  function distractors(query: string, avoid: Set<string>, n: number): SearchHit[] {
    const out: SearchHit[] = [];
    const h = hash(query);
    for (let i = 0; out.length < n && i < pool.length * 2; i++) {
      const v = pool[(h + i * 7) % pool.length]!;
      if (avoid.has(v)) continue;
      const start = ((h >> (i % 16)) % 900) + 300;
      out.push(hit(v, start, start + 30, start + 5, 0.5 - out.length * 0.01));
    }
    return out;
  }

  function searchHits(query: string, k: number): SearchHit[] {
    const c = byQuery.get(query);
    const gold = goldHits(c);
    const avoid = new Set(gold.map((g) => g.videoId));
    const noise = distractors(query, avoid, k);
    let hits = [...gold, ...noise];
    if (gold.length && (hash(query) % 1000) / 1000 < rank3)
      hits = [noise[0]!, noise[1]!, ...gold, ...noise.slice(2)];
    return hits.slice(0, k);
  }

  return {
    get calls() {
      return state.calls;
    },
    async search(query, { k }) {
      state.calls += 1;
      return searchHits(query, k ?? 10);
    },
    async ask(question, { k }): Promise<AskResult> {
      state.calls += 1;
      const c = byQuery.get(question);
      const shouldRefuse = c?.kind === 'refusal' || (c?.kind === 'regression' && c.mustRefuse === true) || !c;
      const flip = shouldRefuse && c?.kind === 'refusal' && (hash(question) % 1000) / 1000 < wrong;
      if (shouldRefuse && !flip) {
        return {
          answer: "I don't know.",
          refused: true,
          citations: [],
          timings: { retrieveMs: 1, answerMs: 0 },
        };
      }
      const hits = searchHits(question, k ?? 8).slice(0, 3);
      const facts = (c?.facts ?? []).map((f) => f.split('|')[0]).join('; ');
      return {
        answer: `Here is what the videos say: ${facts || 'something'}.`,
        refused: false,
        citations: hits.map((h) => ({
          videoId: h.videoId,
          title: h.title,
          start: h.start,
          end: h.end,
          url: h.url,
          text: h.text,
        })),
        timings: { retrieveMs: 1, answerMs: 2 },
        usage: { inputTokens: 1000, outputTokens: 100, model: 'claude-sonnet-4-5' },
      };
    },
  };
}
