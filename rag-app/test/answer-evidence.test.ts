import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EVIDENCE,
  type EvidenceSources,
  gatherEvidence,
  titleMatches,
} from '../src/answer/evidence.ts';
import type { TermStats } from '../src/answer/support.ts';
import type { SearchHit } from '../src/types.ts';
import { makeHit } from './answer-fixtures.ts';

const STATS: TermStats = {
  size: 5000,
  df: (t) => ({ simplest: 20, rag: 900, stack: 250, work: 2200, piv: 50, loop: 450 })[t] ?? 0,
  terms: () => [],
};

const TITLES = [
  { videoId: 'rag00000001', title: 'The Simplest RAG Stack That Actually Works' },
  { videoId: 'tech0000001', title: 'The ONLY AI Tech Stack You Need in 2026' },
  { videoId: 'piv00000001', title: 'The PIV Loop Explained' },
];

/** Sources over a fixed little library: what a store would answer, without one. */
function library(): EvidenceSources & { calls: string[] } {
  const calls: string[] = [];
  const moments: Record<string, SearchHit[]> = {
    rag00000001: [
      makeHit('rag00000001', TITLES[0]!.title, [
        [300, 'the stack is postgres, hybrid search and pydantic ai'],
      ]),
    ],
    tech0000001: [
      makeHit('tech0000001', TITLES[1]!.title, [[0, 'this is my stack']]),
      makeHit('tech0000001', TITLES[1]!.title, [[600, 'the rag part of my stack']]),
    ],
  };
  return {
    calls,
    searchVideo: async (videoId, k) => {
      calls.push(`search ${videoId} ${k}`);
      return (moments[videoId] ?? []).slice(0, k);
    },
    titles: async () => TITLES,
    opening: async (videoId) => {
      calls.push(`opening ${videoId}`);
      const title = TITLES.find((t) => t.videoId === videoId)!.title;
      return makeHit(videoId, title, [[0, 'in this video the simplest rag stack: postgres and pydantic ai']]);
    },
  };
}

describe('titleMatches', () => {
  it('finds the videos whose titles name most of the question, best first', () => {
    const m = titleMatches(
      'What does Cole recommend as the simplest RAG stack that actually works?',
      TITLES,
      STATS,
    );
    expect(m.map((x) => x.videoId)).toEqual(['rag00000001']);
    expect(m[0]!.share).toBeGreaterThan(0.9);
  });
});

describe('gatherEvidence', () => {
  it('keeps the hits first, then reads into the top videos and the topic video with its opening', async () => {
    const hits = [makeHit('tech0000001', TITLES[1]!.title, [[0, 'this is my stack']])];
    const src = library();
    const out = await gatherEvidence(
      'What does Cole recommend as the simplest RAG stack that actually works?',
      hits,
      src,
      STATS,
    );
    expect(out[0]).toBe(hits[0]);
    // The repeat of the first hit is not added twice; the topic video's moment and opening are.
    expect(out.map((h) => `${h.videoId}@${h.start}`)).toEqual([
      'tech0000001@0',
      'tech0000001@600',
      'rag00000001@300',
      'rag00000001@0',
    ]);
    expect(src.calls).toEqual([
      `search tech0000001 ${DEFAULT_EVIDENCE.perVideo}`,
      `search rag00000001 ${DEFAULT_EVIDENCE.perVideo}`,
      'opening rag00000001',
    ]);
  });

  it('stops at maxHits', async () => {
    const hits = Array.from({ length: 5 }, (_, i) => makeHit(`vid0000000${i}`, 'T', [[0, 'x']]));
    const out = await gatherEvidence('What is the simplest RAG stack?', hits, library(), STATS, {
      ...DEFAULT_EVIDENCE,
      maxHits: 6,
    });
    expect(out).toHaveLength(6);
  });
});
