import { describe, expect, it } from 'vitest';
import { spanHit } from '../src/answer/ask.ts';
import { judgeEvidence, REFUSAL_ANSWER } from '../src/answer/decide.ts';
import {
  DEFAULT_EXTRACTIVE,
  definiendum,
  definitionsIn,
  ExtractiveAnswerer,
  fromDefinition,
  kindScore,
  mergeNear,
  passagesOf,
  scoreUnits,
  selectWindows,
} from '../src/answer/extractive.ts';
import { isSponsorCue, sponsorMask } from '../src/answer/filler.ts';
import { composeLayout } from '../src/answer/layout.ts';
import { analyseQuestion } from '../src/answer/question.ts';
import { DANGLING_WORDS, hitSentences, layOut, quoted, unitSpans } from '../src/answer/sentences.ts';
import { deepLink, type SearchHit } from '../src/types.ts';
import { makeHit, pivHits } from './answer-fixtures.ts';

const markers = (answer: string) => [...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
const streamOf = (hit: SearchHit) => layOut(hit.segments).stream;

// Unpunctuated speech, as most of the corpus is.
const RAMBLE =
  'so what we want to do now is take the plan that we created and hand it to the coding agent because ' +
  'the coding agent is going to execute every task in order and then it runs the validation for us which ' +
  'is really nice because we do not have to babysit it the whole time and that is the whole point of it';

describe('units of speech', () => {
  it('are verbatim slices: only cut points are chosen, no character changes', () => {
    const hit = makeHit('vid00000001', 'T', [
      [0, RAMBLE.slice(0, 120)],
      [15, RAMBLE.slice(120)],
    ]);
    const stream = streamOf(hit);
    const units = hitSentences(hit, 0);
    expect(units.length).toBeGreaterThan(2);
    for (const u of units) {
      expect(stream.slice(u.from, u.to)).toBe(u.text);
      expect(u.text).toBe(u.text.trim());
    }
    // In order, and together they lose nothing but edge glue ("so", "and") and spaces.
    const rest = units.reduce((s, u) => s.replace(u.text, ''), stream);
    expect(rest.replace(/\b(so|and|but|now)\b/g, '').trim()).toBe('');
  });

  it('never end on a word that needs a continuation unless marked as cut', () => {
    const hit = makeHit('vid00000001', 'T', [[0, RAMBLE]]);
    for (const u of hitSentences(hit, 0)) {
      const last = u.text.toLowerCase().split(' ').pop()!;
      if (DANGLING_WORDS.has(last)) expect(u.close).toBe('forced');
      if (u.close === 'forced') expect(quoted(u).endsWith('…')).toBe(true);
    }
  });

  it('cut at punctuation first and keep decimal points inside a sentence', () => {
    const spans = unitSpans('claude opus 4.5 is out. it is fast and cheap, and it codes well.');
    expect(spans.map((s) => s.open)).toEqual(['sentence', 'sentence']);
    const hit = makeHit('vid00000001', 'T', [[0, 'claude opus 4.5 is out. it is fast']]);
    expect(hitSentences(hit, 0).map((s) => s.text)).toEqual(['claude opus 4.5 is out.', 'it is fast']);
  });

  it('start at the second they are said, interpolated inside the segment', () => {
    const seg = 'the first stage is planning. then the second stage is implementing';
    const hit = makeHit('vid00000001', 'T', [[100, seg]], { end: 120 });
    const second = hitSentences(hit, 0).find((s) => s.text.startsWith('then'))!;
    expect(second.start).toBe(Math.floor(100 + (20 * seg.indexOf('then')) / seg.length));
  });
});

describe('filler', () => {
  it('marks a sponsor read from its cue for a while, but not a denial', () => {
    expect(isSponsorCue('the sponsor of today’s video is lutra')).toBe(true);
    expect(isSponsorCue('cloudflare is not sponsoring this video')).toBe(false);
    const mask = sponsorMask([
      { start: 0, text: 'postgres gives you full control' },
      { start: 10, text: 'the sponsor of this video is acme' },
      { start: 25, text: 'acme gives you a database in one click' },
      { start: 40, text: 'now back to the video' },
      { start: 55, text: 'supabase is postgres with extras' },
    ]);
    expect(mask).toEqual([false, true, true, false, false]);
  });
});

describe('kind of answer', () => {
  it('scores a definition of the subject above a mention of it', () => {
    const a = analyseQuestion('What is the PIV loop?');
    expect(kindScore('piv is short for plan implement validate', a)).toBe(2);
    expect(kindScore('let us get into what the heck piv actually is', a)).toBeLessThan(1);
  });
});

describe('a lead that holds the definition after a run-on start', () => {
  const item = (text: string) => ({
    videoId: 'vid00000001',
    title: 'T',
    segments: [{ start: 10, end: 40, text }],
    stream: text,
    from: 0,
    to: text.length,
    open: 'sentence' as const,
    close: 'sentence' as const,
  });
  const verdict = (question: string) => ({ analysis: analyseQuestion(question) });

  it('starts at the definition where it opens a clause, marked as cut, the rest verbatim', () => {
    const text =
      'we have granular implementations for our PIV loops which speaking of the PIV loops we are going to get into this now and so PIV is short for plan, implement, validate.';
    const lead = fromDefinition(item(text), verdict('What are the three stages of the PIV loop?'));
    expect(lead.stream.slice(lead.from, lead.to)).toBe('PIV is short for plan, implement, validate.');
    expect(lead.open).toBe('forced');
    const answer = composeLayout(lead, []);
    expect(answer.answer).toBe('…PIV is short for plan, implement, validate. [1]');
    // The citation opens where the definition is said, not where the run-on began.
    expect(answer.citations[0]!.start).toBeGreaterThan(30);
  });

  it('keeps what the speaker said about it: no cut after "saying that", or a few words in', () => {
    const hedged =
      'I am absolutely not saying that with proper planning, Ralph Wiggum is the best thing in the world.';
    const q = "What is the Ralph loop (Ralph Wiggum) technique and what is Cole's stance on it?";
    expect(fromDefinition(item(hedged), verdict(q))).toEqual(item(hedged));
    const early = 'and so PIV is short for plan, implement, validate.';
    expect(fromDefinition(item(early), verdict('What is the PIV loop?'))).toEqual(item(early));
  });

  it('finds every definition of the subject in a unit, in order', () => {
    const a = analyseQuestion('What is the PIV loop?');
    expect(definitionsIn('piv loops we are going to get into it and so piv is short for plan', a)).toEqual([
      0, 45,
    ]);
    expect(definitionsIn('we will get into what the heck piv actually is', a)).toEqual([]);
  });

  it('finds a definition that names its subject after describing it', () => {
    const a = analyseQuestion('What is context rot and how do you avoid it?');
    const text = 'the model has a hard time recalling. this is the idea of context rot. the larger it gets';
    expect(definitionsIn(text, a)).toEqual([text.indexOf('this is the idea')]);
    expect(definitionsIn("that's what we call context rot", a)).toEqual([0]);
    expect(definitionsIn('we need to avoid context rot', a)).toEqual([]);
  });
});

describe('ExtractiveAnswerer', () => {
  const question = 'What are the three stages of the PIV loop?';

  it('answers with a lead line and bullets, each cited to a verbatim slice at its second', async () => {
    const hits = pivHits();
    const tokens: string[] = [];
    const out = await new ExtractiveAnswerer().answer(question, hits, { onToken: (t) => tokens.push(t) });
    expect(out.refused).toBe(false);
    expect(markers(out.answer)).toEqual(out.citations.map((_, i) => i + 1));
    const lines = out.answer.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/\[1\]$/);
    for (const line of lines.slice(1)) expect(line).toMatch(/^(- |\d+\. |From “.+”:$)/);
    for (const c of out.citations) {
      // Verbatim in the video's transcript (overlapping chunks of one video read as one text).
      const ofVideo = hits.filter((h) => h.videoId === c.videoId);
      const segments = [...new Map(ofVideo.flatMap((h) => h.segments).map((s) => [s.start, s])).values()];
      expect(layOut(segments.sort((a, b) => a.start - b.start)).stream).toContain(c.text);
      expect(c.start).toBeGreaterThanOrEqual(Math.min(...ofVideo.map((h) => h.start)));
      expect(c.start).toBeLessThanOrEqual(c.end);
      expect(c.url).toBe(deepLink(c.videoId, c.start));
      expect(out.answer).toContain(c.text);
    }
    expect(out.answer).toMatch(/first stage is planning/);
    expect(out.answer).toMatch(/third stage is validating/);
    expect(tokens.join('')).toBe(out.answer);
  });

  it('leads with the sentence that defines the subject', async () => {
    const hits = [
      makeHit('piv1234567a', 'My Agentic Coding Workflow', [
        [0, 'we are going to get into the piv loop now and i use the piv loop every single day'],
        [15, 'and so piv is short for plan, implement, validate. that is the whole loop'],
        [30, 'the piv loop keeps me honest about every change the piv loop is great'],
      ]),
    ];
    const out = await new ExtractiveAnswerer().answer('What is the PIV loop?', hits);
    expect(out.answer.split('\n')[0]).toMatch(/^piv is short for plan, implement, validate\./);
  });

  it('numbers steps for a how-to question', async () => {
    const hits = [
      makeHit('n8n00000001', 'n8n Webhooks', [
        [0, 'to set up a webhook trigger in n8n first you add the webhook node to your workflow.'],
        [15, 'then you copy the webhook url and paste it into the app that sends the events.'],
        [30, 'next you set the http method to post and activate the workflow for the webhook.'],
      ]),
    ];
    const out = await new ExtractiveAnswerer().answer('How do I set up a webhook trigger in n8n?', hits);
    expect(out.refused).toBe(false);
    expect(out.answer).toMatch(/\n1\. /);
    // Steps in the order they were said.
    const steps = out.citations.slice(1).map((c) => c.start);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });

  it('leaves sponsor reads out', async () => {
    const hits = [
      makeHit('pg000000001', 'Supabase vs Postgres', [
        [0, 'supabase is postgres with auth and storage on top, plain postgres gives you more control.'],
        [15, 'the sponsor of this video is acme cloud, acme cloud hosts supabase and postgres for you.'],
        [30, 'acme cloud makes supabase and postgres painless, try acme cloud for free.'],
        [90, 'so for supabase versus postgres i pick supabase when i want auth out of the box.'],
      ]),
    ];
    const out = await new ExtractiveAnswerer().answer('How does Supabase compare to Postgres?', hits);
    expect(out.refused).toBe(false);
    expect(out.answer).not.toMatch(/acme/i);
  });

  it('is deterministic, and a repeated overlapping chunk changes nothing', async () => {
    const answerer = new ExtractiveAnswerer();
    const a = await answerer.answer(question, pivHits());
    expect(await answerer.answer(question, pivHits())).toEqual(a);
    expect(await answerer.answer(question, [...pivHits(), pivHits()[0]!])).toEqual(a);
  });

  it('does not quote the same moment twice when chunks overlap', async () => {
    const out = await new ExtractiveAnswerer().answer(
      'why should you never skip validation in the piv loop',
      pivHits(),
    );
    const n = out.citations.filter((c) => /validation means running the tests/i.test(c.text)).length;
    expect(n).toBeLessThanOrEqual(1);
  });

  it('refuses with no hits, streaming the refusal', async () => {
    const tokens: string[] = [];
    const out = await new ExtractiveAnswerer().answer(question, [], { onToken: (t) => tokens.push(t) });
    expect(out).toEqual({ answer: REFUSAL_ANSWER, refused: true, citations: [] });
    expect(tokens.join('')).toBe(REFUSAL_ANSWER);
  });

  it('refuses when the hits do not speak to the question', async () => {
    const out = await new ExtractiveAnswerer().answer(
      'How do I modernise COBOL mainframes with Kubernetes?',
      pivHits(),
    );
    expect(out.refused).toBe(true);
    expect(out.citations).toEqual([]);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      new ExtractiveAnswerer().answer(question, pivHits(), { signal: controller.signal }),
    ).rejects.toThrow();
  });
});

describe('what a definition question defines', () => {
  it('is the phrase after "what is", its last two words', () => {
    expect(definiendum('What is context rot and how do you avoid it?')).toBe('context rot');
    expect(definiendum("What is Karpathy's LLM wiki and how does Cole apply it?")).toBe('llm wiki');
    expect(definiendum('What is the "AI Layer" and what components make it up?')).toBe('ai layer');
    expect(definiendum("What is Cole's take on building agents with n8n vs Python?")).toBeNull();
    expect(definiendum('How do I set up a webhook trigger in n8n?')).toBeNull();
  });

  it('makes "X is…" of the whole phrase the definition, not a sentence about one of its words', () => {
    const analysis = analyseQuestion('What is context rot and how do you avoid it?');
    expect(
      kindScore('the simple idea behind context rot is large language models get overwhelmed', analysis),
    ).toBe(2);
    expect(
      kindScore('context is your most precious resource when working with agents', analysis),
    ).toBeLessThan(2);
  });
});

describe('the lead', () => {
  it('reads on through its moment, each line still one verbatim slice cited at its second', async () => {
    const hits = [
      makeHit('piv00000001', 'The PIV Loop: My Agentic Coding Workflow', [
        [1368, 'the piv loop has three stages, and every stage of the loop matters.'],
        [1380, 'and so PIV is short for plan, implement, validate.'],
        [1392, 'planning is where we create the structured plan with the agent.'],
        [1404, 'then implementation is handing that plan to a fresh session.'],
        [1416, 'and validation is the types, the tests and the review at the end.'],
      ]),
    ];
    const out = await new ExtractiveAnswerer().answer('What are the three stages of the PIV loop?', hits);
    const lead = out.answer.split('\n')[0]!;
    expect(lead).toContain('PIV is short for plan, implement, validate.');
    expect(lead).toContain('planning is where we create the structured plan');
    expect(out.citations[0]!.start).toBeGreaterThanOrEqual(1368);
    const stream = streamOf(hits[0]!);
    for (const c of out.citations) expect(stream).toContain(c.text);
  });

  it('reads on in the transcript when its moment goes on past the retrieved passage', async () => {
    const meta = {
      videoId: 'piv00000002',
      title: 'The PIV Loop: My Agentic Coding Workflow',
      published: null,
    };
    const transcript = [
      { start: 1368, end: 1380, text: 'the piv loop has three stages, and every stage of the loop matters.' },
      { start: 1380, end: 1392, text: 'and so PIV is short for plan, implement, validate.' },
      {
        start: 1392,
        end: 1404,
        text: 'we take focused work, a phase from the PRD, and we run it through this entire',
      },
      {
        start: 1404,
        end: 1416,
        text: 'process. so we create a structured plan around what we are going to tackle.',
      },
      { start: 1416, end: 1428, text: 'then we delegate the implementation and we do the validation after.' },
    ];
    // The search found the first three segments: the chunk ends in the middle of a sentence.
    const found = transcript.slice(0, 3).map((x): [number, string] => [x.start, x.text]);
    const hits = [makeHit(meta.videoId, meta.title, found, { end: 1404 })];
    const question = 'What are the three stages of the PIV loop?';
    const asked: [string, number, number][] = [];
    const readOn = async (videoId: string, from: number, seconds: number) => {
      asked.push([videoId, from, seconds]);
      return spanHit(meta, transcript, from, seconds);
    };
    const alone = await new ExtractiveAnswerer().answer(question, hits);
    expect(alone.refused).toBe(false);
    expect(alone.answer.split('\n')[0]).not.toContain('structured plan');
    const out = await new ExtractiveAnswerer().answer(question, hits, { readOn });
    expect(asked).toEqual([[meta.videoId, 1404, 45]]);
    const lead = out.answer.split('\n')[0]!;
    expect(lead).toContain('PIV is short for plan, implement, validate.');
    expect(lead).toContain('so we create a structured plan around what we are going to tackle.');
    // Still one verbatim slice of the transcript, cited at the second it starts.
    const stream = layOut(transcript).stream;
    for (const c of out.citations) expect(stream).toContain(c.text);
    expect(out.citations[0]!.start).toBeGreaterThanOrEqual(1368);
  });
});

describe('bullets of one moment', () => {
  it('are merged into one window when at most the gap allows lies between them, others kept apart', () => {
    const hits = [
      makeHit('wt000000001', 'Git Worktrees for Parallel Agents', [
        [300, 'a worktree is a second copy of the codebase on its own branch.'],
        [310, 'each agent gets its own worktree so they never step on each other.'],
        [320, 'that is short.'],
        [330, 'then every worktree runs its own dev server on a port of its own.'],
        [
          340,
          'and honestly this next part took me a long time to figure out because the database, the environment files, the ports and the dependencies all have to be set up again for every single copy that you make.',
        ],
        [360, 'finally each agent opens a pull request from its worktree branch.'],
      ]),
    ];
    const passages = passagesOf(hits);
    scoreUnits(passages, judgeEvidence('How do git worktrees run agents in parallel?', hits, null));
    const p = passages[0]!;
    const at = (second: number) => p.units.findIndex((u) => u.start === second);
    const w = (a: number, b = a) => ({ passage: p, a, b, score: 1 });
    const windows = [w(at(330)), w(at(300), at(310)), w(at(360))];
    // 300 and 330 have one short unit between them: one moment. 360 has a long unit before it.
    const merged = mergeNear(windows, 5);
    expect(merged.map((m) => [p.units[m.a]!.start, p.units[m.b]!.start])).toEqual([
      [300, 330],
      [360, 360],
    ]);
    expect(mergeNear(windows, -1)).toHaveLength(3);
    expect(mergeNear(windows, 60)).toHaveLength(1);
  });
});

describe('bullets cluster', () => {
  it('a window said next to a chosen one outranks a slightly stronger one said alone', () => {
    const hits = [
      makeHit('cl000000001', 'Context Engineering', [
        [100, 'context engineering is the whole system of rules, documents and tools around the agent.'],
        [112, 'prompt engineering is only the wording of one request you send.'],
      ]),
      makeHit('cl000000001', 'Context Engineering', [
        [600, 'later on I come back to engineering the context for bigger projects.'],
      ]),
    ];
    const passages = passagesOf(hits);
    scoreUnits(passages, judgeEvidence('What is context engineering?', hits, null));
    const [early, late] = passages as [(typeof passages)[0], (typeof passages)[0]];
    const lead = { passage: early, a: 0, b: 0, score: 1 };
    const beside = { passage: early, a: 1, b: 1, score: 0.5 };
    const alone = { passage: late, a: 0, b: 0, score: 0.6 };
    const settings = { ...DEFAULT_EXTRACTIVE, maxItems: 1, followWeight: 0, relativeFloor: 0 };
    const pick = (clusterWeight: number) =>
      selectWindows([lead, alone, beside], { ...settings, clusterWeight }, early, { readOn: false })!.rest;
    expect(pick(0)).toEqual([alone]);
    expect(pick(0.3)).toEqual([beside]);
  });
});
