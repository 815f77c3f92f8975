import { describe, expect, it } from 'vitest';
import { ExtractiveAnswerer } from '../src/answer/extractive.ts';
import { hitSentences, layOut, opensSection } from '../src/answer/sentences.ts';
import { makeHit } from './answer-fixtures.ts';

describe('the edges of a retrieved passage', () => {
  it('open inside a clause where the chunk began mid-sentence, and close inside one where it stopped', () => {
    const hit = makeHit('edge0000001', 'T', [
      [300, 'developed there are many platforms to integrate with. So the webhook node is the entry point'],
    ]);
    const units = hitSentences(hit, 0);
    expect(units[0]!.open).toBe('forced');
    expect(units[units.length - 1]!.close).toBe('forced');
  });

  it("are clean at a video's first second and where punctuation ends the passage", () => {
    const hit = makeHit('edge0000001', 'T', [[0, 'welcome back. today we build a webhook in n8n.']]);
    const units = hitSentences(hit, 0);
    expect(units[0]!.open).toBe('sentence');
    expect(units[units.length - 1]!.close).toBe('sentence');
  });
});

describe('quoted windows', () => {
  it('never end inside a clause: an answer line stops where a clause does, with no "…" at its end', async () => {
    const hits = [
      makeHit('cut00000001', 'Context Rot Explained', [
        [100, 'Context rot is when the model gets worse as the conversation grows.'],
        [115, 'That is why context rot matters so much for coding agents and the way that'],
      ]),
    ];
    const out = await new ExtractiveAnswerer().answer('What is context rot?', hits);
    expect(out.refused).toBe(false);
    for (const line of out.answer.split('\n').filter(Boolean)) {
      expect(line).not.toMatch(/…\s*\[\d+\]$/);
    }
    expect(out.answer).not.toContain('and the way that');
  });
});

describe('a how-to', () => {
  const hits = [
    // The video that explains the procedure: one stretch, said in order.
    makeHit(
      'hook0000001',
      'n8n Webhooks',
      [
        [200, 'Now let me show you how to set up a webhook trigger in n8n.'],
        [212, 'First you add the webhook trigger node to a new workflow.'],
        [224, 'Then you copy the webhook url that the trigger node gives you.'],
        [236, 'Next you paste that webhook url into the app that sends the events.'],
        [248, 'Finally you activate the workflow so the webhook trigger listens all the time.'],
      ],
      { rank: 1 },
    ),
    // Passing mentions later in the same video and in another one.
    makeHit(
      'hook0000001',
      'n8n Webhooks',
      [[900, 'A webhook trigger in n8n can also start a sub-workflow.']],
      {
        rank: 2,
      },
    ),
    makeHit(
      'other000002',
      'n8n Tips',
      [[60, 'I use a webhook trigger in n8n for almost every agent I build.']],
      {
        rank: 3,
      },
    ),
  ];

  it('reads as steps: one stretch of the video, numbered in the order said, each cited to its second', async () => {
    const out = await new ExtractiveAnswerer().answer('How do I set up a webhook trigger in n8n?', hits);
    expect(out.refused).toBe(false);
    const steps = out.answer.split('\n').filter((l) => /^\d+\. /.test(l));
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(steps.map((line) => line.split('. ')[0])).toEqual(steps.map((_, i) => `${i + 1}`));
    expect(out.citations.every((c) => c.videoId === 'hook0000001' && c.start >= 200 && c.start < 260)).toBe(
      true,
    );
    const starts = out.citations.map((c) => c.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    // Every cited text is a verbatim slice of the passage, and the line shows it.
    const stream = layOut(hits[0]!.segments).stream;
    for (const c of out.citations) {
      expect(stream).toContain(c.text);
      expect(out.answer).toContain(c.text);
    }
  });
});

describe('a list video', () => {
  // The shape of a "10 tips" transcript: no punctuation, the next tip announced mid-line.
  const hit = makeHit(
    'tips0000001',
    'n8n Tips',
    [
      [
        309,
        'widget right here and the way that you can set up a webhook trigger is by adding in the chat message received',
      ],
      [
        324,
        'trigger so you can have both at once and you combine the webhook trigger and the chat trigger into this edit fields node',
      ],
      [
        336,
        'so this is the chat trigger this is the webhook trigger in n8n and it gets the value no matter which one is used',
      ],
      [
        347,
        'so that is how you can set up your agent to be a webhook in n8n which is super valuable tip number six a lot',
      ],
      [
        358,
        'of people do not handle looping properly within n8n when you have nodes that give multiple items in a single output',
      ],
      [
        372,
        'and a webhook trigger can also output multiple items that are processed one at a time by the next node in n8n',
      ],
    ],
    { rank: 1 },
  );

  it('is cut before a spoken heading ("tip number six"), and opensSection tells it from a step', () => {
    const texts = hitSentences(hit, 0).map((u) => u.text);
    expect(texts.some((t) => t.startsWith('tip number six a lot'))).toBe(true);
    expect(opensSection('tip number six a lot of people')).toBe(true);
    expect(opensSection('mistake 3 is not testing')).toBe(true);
    expect(opensSection('step two you copy the url')).toBe(false);
    expect(opensSection('the number six reason')).toBe(false);
  });

  it("gives a how-to's steps from the item that answers, not the next item's", async () => {
    const out = await new ExtractiveAnswerer().answer('How do I set up a webhook trigger in n8n?', [hit]);
    expect(out.refused).toBe(false);
    expect(out.answer.split('\n').filter((l) => /^\d+\. /.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(out.answer).not.toContain('looping');
    expect(out.citations.every((c) => c.start < 358)).toBe(true);
  });
});
