/** Hand-made search hits in the corpus's style (lower-case speech, ~15 s segments) for the answer tests. */
import { deepLink, type SearchHit, type Segment } from '../src/types.ts';

export function makeHit(
  videoId: string,
  title: string,
  segments: [start: number, text: string][],
  extra: { rank?: number; citeStart?: number; end?: number; lexical?: number } = {},
): SearchHit {
  const segs: Segment[] = segments.map(([start, text], i) => ({
    start,
    end: segments[i + 1]?.[0] ?? extra.end ?? start + 15,
    text,
  }));
  const start = segs[0]!.start;
  const citeStart = extra.citeStart ?? start;
  const rank = extra.rank ?? 1;
  return {
    videoId,
    title,
    published: '2025-06-01',
    start,
    end: segs[segs.length - 1]!.end,
    citeStart,
    url: deepLink(videoId, citeStart),
    text: segs.map((s) => s.text).join(' '),
    segments: segs,
    score: 1 / (60 + rank),
    scores: { vectorRank: rank, lexicalRank: rank, vector: 0.5, lexical: extra.lexical ?? 3 },
  };
}

/** Three hits about the PIV loop, ranked, from two videos. */
export function pivHits(): SearchHit[] {
  return [
    makeHit(
      'piv1234567a',
      'The PIV Loop: How I Build With AI Coding Assistants',
      [
        [120, 'so the piv loop is my core methodology for ai coding and it has three stages'],
        [
          134,
          'the first stage is planning where you do the research and write a structured plan. then the second stage is implementing',
        ],
        [
          151,
          'where the coding agent executes the plan task by task and the third stage is validating the work',
        ],
        [166, 'and validation means running the tests the linting and reviewing the code yourself'],
      ],
      { rank: 1, citeStart: 120 },
    ),
    makeHit(
      'piv1234567a',
      'The PIV Loop: How I Build With AI Coding Assistants',
      [
        [166, 'and validation means running the tests the linting and reviewing the code yourself'],
        [180, 'um you never want to skip validation because that is where the loop catches the mistakes'],
      ],
      { rank: 2, citeStart: 180 },
    ),
    makeHit(
      'other000001',
      'Context Engineering Is the New Vibe Coding',
      [
        [300, 'context engineering is about giving the coding agent all the context it needs up front'],
        [315, 'and the plan you write in the piv loop is a big part of that context'],
      ],
      { rank: 3, citeStart: 315 },
    ),
  ];
}
