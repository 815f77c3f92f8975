import { formatTimestamp } from '@dark-factory/kit';
import { describe, expect, it } from 'vitest';
import { citationForHit } from '../src/answer/cite.ts';
import {
  buildPrompt,
  buildUserMessage,
  formatPassages,
  NOT_COVERED_TOKEN,
  SYSTEM_PROMPT,
} from '../src/answer/prompt.ts';
import { CitationRenumberer, markerNumbers, ReplyFilter } from '../src/answer/reply.ts';
import { makeHit, pivHits } from './answer-fixtures.ts';

describe('prompt', () => {
  it('formats timestamps as m:ss or h:mm:ss', () => {
    expect(formatTimestamp(0)).toBe('0:00');
    expect(formatTimestamp(65.9)).toBe('1:05');
    expect(formatTimestamp(3725)).toBe('1:02:05');
  });

  it('numbers the passages in rank order with title, time range and text', () => {
    const hits = pivHits();
    const passages = formatPassages(hits);
    const blocks = passages.split('\n\n');
    expect(blocks).toHaveLength(3);
    expect(blocks[0]).toBe(
      `[1] "The PIV Loop: How I Build With AI Coding Assistants" (2:00-3:01)\n${hits[0]!.text}`,
    );
    expect(blocks[2]!.startsWith('[3] "Context Engineering Is the New Vibe Coding" (5:00-5:30)\n')).toBe(
      true,
    );
  });

  it('collapses whitespace in passage text', () => {
    const hit = makeHit('v0000000001', 'T', [[0, 'a  b\n\nc']]);
    expect(formatPassages([hit])).toBe('[1] "T" (0:00-0:15)\na b c');
  });

  it('puts the passages before the question and the rules in the system prompt', () => {
    const prompt = buildPrompt('  What are the stages?  ', pivHits());
    expect(prompt.system).toBe(SYSTEM_PROMPT);
    expect(prompt.system).toContain(`reply with exactly ${NOT_COVERED_TOKEN} and nothing else`);
    expect(prompt.system).toMatch(/\[1\]\[3\]/);
    expect(prompt.messages).toEqual([
      { role: 'user', content: buildUserMessage('What are the stages?', pivHits()) },
    ]);
    const content = prompt.messages[0]!.content;
    expect(content.startsWith('Passages:\n\n[1] ')).toBe(true);
    expect(content.endsWith('\n\nQuestion: What are the stages?')).toBe(true);
  });
});

describe('citation markers', () => {
  it('reads the numbers of a marker, lists and ranges included', () => {
    expect(markerNumbers('[3]')).toEqual([3]);
    expect(markerNumbers('[3, 1]')).toEqual([3, 1]);
    expect(markerNumbers('[2-4]')).toEqual([2, 3, 4]);
    expect(markerNumbers('[1; 5–6]')).toEqual([1, 5, 6]);
  });

  it('renumbers passages in order of first citation', () => {
    const r = new CitationRenumberer(5);
    expect(r.push('A [3]. B [1][3]. C [3, 5].') + r.flush()).toBe('A [1]. B [2][1]. C [1][3].');
    expect(r.order).toEqual([3, 1, 5]);
  });

  it('gives the same text however the stream is cut', () => {
    const text = 'Plan first [2]. Then build [1, 2] and check [note] the [x] result [12] [';
    const whole = new CitationRenumberer(3);
    const expected = whole.push(text) + whole.flush();
    expect(expected).toBe('Plan first [1]. Then build [2][1] and check [note] the [x] result  [');
    for (let size = 1; size <= 5; size++) {
      const r = new CitationRenumberer(3);
      let out = '';
      for (let i = 0; i < text.length; i += size) out += r.push(text.slice(i, i + size));
      expect(out + r.flush()).toBe(expected);
      expect(r.order).toEqual([2, 1]);
    }
  });

  it('drops numbers that name no passage', () => {
    const r = new CitationRenumberer(2);
    expect(r.push('X [0][3] Y [2]')).toBe('X  Y [1]');
    expect(r.order).toEqual([2]);
  });
});

describe('ReplyFilter', () => {
  const run = (deltas: string[], passages = 3) => {
    const f = new ReplyFilter(passages);
    const shown = deltas.map((d) => f.push(d)).join('') + f.flush();
    return { shown, ...f.result() };
  };

  it('shows an answer as it streams, renumbered and trimmed', () => {
    const r = run(['  The ', 'loop has', ' three stages [', '3]. Plan [1].', '\n\n']);
    expect(r.shown).toBe('The loop has three stages [1]. Plan [2].');
    expect(r).toMatchObject({ text: r.shown, refused: false, order: [3, 1] });
  });

  it('never shows the refusal token, even split across deltas', () => {
    const r = run([' NOT_COV', 'ERED_BY', '_VIDEOS', '\n']);
    expect(r).toEqual({ shown: '', text: '', refused: true, order: [], ungrounded: [] });
  });

  it('releases held text once it stops looking like the token', () => {
    const r = run(['NOT', 'E: the plan comes first [1].']);
    expect(r.shown).toBe('NOTE: the plan comes first [1].');
    expect(r.refused).toBe(false);
  });

  it('treats a refusal said in words, with no citation, as a refusal', () => {
    expect(run(["The passages don't cover Rust at all."]).refused).toBe(true);
    expect(run(["The passages don't cover Rust, but they say Python works well [2]."]).refused).toBe(false);
  });

  it('shows text only once a marker naming a given passage grounds it, and drops the rest at an unknown one', () => {
    const f = new ReplyFilter(2);
    expect(f.push('Plan first ')).toBe('');
    expect(f.push('[2]. Then build ')).toBe('Plan first [1]');
    expect(f.push('with Rust [5]. More [1].')).toBe('.');
    expect(f.flush()).toBe('');
    expect(f.result()).toEqual({ text: 'Plan first [1].', refused: false, order: [2], ungrounded: [5] });
  });

  it('treats an empty reply as a refusal', () => {
    expect(run([]).refused).toBe(true);
  });
});

describe('citationForHit', () => {
  it('quotes verbatim from the segment at citeStart and links to that second', () => {
    const hit = makeHit(
      'v0000000001',
      'T',
      [
        [10, 'intro words here'],
        [25, 'so the plan comes first'],
        [40, 'and then you build it'],
      ],
      { citeStart: 25 },
    );
    expect(citationForHit(hit)).toEqual({
      videoId: 'v0000000001',
      title: 'T',
      start: 25,
      end: 55,
      url: 'https://youtu.be/v0000000001?t=25',
      text: 'so the plan comes first and then you build it',
    });
  });

  it('cuts long quotes with an ellipsis', () => {
    const long = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
    const c = citationForHit(makeHit('v0000000001', 'T', [[0, long]]), 10);
    expect(c.text).toBe('w0 w1 w2 w3 w4 w5 w6 w7 w8 w9…');
  });
});
