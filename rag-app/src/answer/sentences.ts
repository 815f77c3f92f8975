/**
 * Splitting a hit's transcript segments into sentences that remember the second they start.
 * Transcripts are speech-recognition output, mostly without punctuation, so long runs are cut
 * further into clauses at discourse markers ("so", "but", "now") to get quotable units.
 */
import type { SearchHit, Segment } from '../types.ts';

export interface Sentence {
  /** Rank of the hit the sentence came from (0 = best). */
  hitIndex: number;
  videoId: string;
  title: string;
  /** Whole seconds: start rounded down, end rounded up. */
  start: number;
  end: number;
  /** The sentence as spoken, whitespace collapsed. */
  text: string;
}

/** Clause lengths, in words, for text without sentence punctuation. */
export const CLAUSE_WORDS = { min: 6, target: 16, max: 32 } as const;

const STRONG_MARKERS = new Set(['so', 'but', 'now', 'because', 'okay', 'alright', 'however', 'basically']);
const WEAK_MARKERS = new Set([
  'and',
  'which',
  'then',
  'if',
  'when',
  'where',
  'i',
  'we',
  'you',
  'this',
  'that',
]);

interface Span {
  from: number;
  to: number;
}

interface Placed {
  segment: Segment;
  from: number;
  to: number;
}

/** Segments laid end to end in one string, each remembering where it sits. */
function layOut(segments: readonly Segment[]): { stream: string; placed: Placed[] } {
  let stream = '';
  const placed: Placed[] = [];
  for (const segment of segments) {
    const text = segment.text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    if (stream) stream += ' ';
    placed.push({ segment, from: stream.length, to: stream.length + text.length });
    stream += text;
  }
  return { stream, placed };
}

/** Seconds at a character offset, interpolated by position inside its segment. */
export function secondAt(placed: readonly Placed[], offset: number): number {
  const at = placed.find((p) => offset < p.to) ?? placed[placed.length - 1];
  if (!at) return 0;
  const { segment, from, to } = at;
  const within = Math.min(Math.max(offset - from, 0), to - from);
  const span = Math.max(segment.end - segment.start, 0);
  return segment.start + (to > from ? (span * within) / (to - from) : 0);
}

/** Pieces ending at sentence punctuation (not decimal points), as offsets into `stream`. */
function punctuatedSpans(stream: string): Span[] {
  const spans: Span[] = [];
  let from = 0;
  for (let i = 0; i < stream.length; i++) {
    const ch = stream[i]!;
    if ((ch === '.' || ch === '!' || ch === '?') && (i + 1 === stream.length || /\s/.test(stream[i + 1]!))) {
      spans.push({ from, to: i + 1 });
      from = i + 1;
    }
  }
  if (from < stream.length) spans.push({ from, to: stream.length });
  return spans
    .map((s) => {
      let { from: f, to: t } = s;
      while (f < t && /\s/.test(stream[f]!)) f++;
      while (t > f && /\s/.test(stream[t - 1]!)) t--;
      return { from: f, to: t };
    })
    .filter((s) => s.to > s.from);
}

/** Cut an over-long span into clauses, preferring a cut just before a discourse marker. */
function clauseSpans(stream: string, span: Span): Span[] {
  const words = [...stream.slice(span.from, span.to).matchAll(/\S+/g)].map((m) => ({
    from: span.from + m.index,
    to: span.from + m.index + m[0].length,
    word: m[0].toLowerCase().replace(/[^a-z']/g, ''),
  }));
  const { min, target, max } = CLAUSE_WORDS;
  if (words.length <= max) return [span];
  const cuts: number[] = [];
  let begin = 0;
  while (words.length - begin > max) {
    const window = words.slice(begin + target, begin + max);
    let at = window.findIndex((w) => STRONG_MARKERS.has(w.word));
    if (at < 0) at = window.findIndex((w) => WEAK_MARKERS.has(w.word));
    let cut = at < 0 ? begin + max : begin + target + at;
    // "and so" / "and then": start the clause at the "and".
    if (cut - 1 > begin + min && words[cut - 1]!.word === 'and') cut--;
    cuts.push(cut);
    begin = cut;
  }
  // A tiny tail reads better glued to the clause before it.
  if (words.length - begin < min && cuts.length > 0) cuts.pop();
  const out: Span[] = [];
  let start = 0;
  for (const cut of [...cuts, words.length]) {
    out.push({ from: words[start]!.from, to: words[cut - 1]!.to });
    start = cut;
  }
  return out;
}

/** The sentences of one hit, in spoken order, each with its start and end second. */
export function hitSentences(hit: SearchHit, hitIndex: number): Sentence[] {
  const segments =
    hit.segments.length > 0 ? hit.segments : [{ start: hit.start, end: hit.end, text: hit.text }];
  const { stream, placed } = layOut(segments);
  const sentences: Sentence[] = [];
  for (const span of punctuatedSpans(stream)) {
    for (const clause of clauseSpans(stream, span)) {
      const start = Math.floor(secondAt(placed, clause.from));
      const end = Math.max(start, Math.ceil(secondAt(placed, clause.to)));
      sentences.push({
        hitIndex,
        videoId: hit.videoId,
        title: hit.title,
        start,
        end,
        text: stream.slice(clause.from, clause.to),
      });
    }
  }
  return sentences;
}

const LEADING_FILLER = new Set([
  'so',
  'and',
  'but',
  'now',
  'okay',
  'ok',
  'alright',
  'um',
  'uh',
  'well',
  'yeah',
  'like',
]);

/** Make a spoken sentence presentable: no fillers, stuttered repeats or dangling "and so", capitalised, punctuated. */
export function cleanSentence(text: string): string {
  let words = text
    .replace(/\s+/g, ' ')
    .trim()
    .split(' ')
    .filter((w) => !/^(um+|uh+|erm)[,.]?$/i.test(w));
  words = words.filter((w, i) => i === 0 || w.toLowerCase() !== words[i - 1]!.toLowerCase());
  while (words.length > 3 && LEADING_FILLER.has(words[0]!.toLowerCase().replace(/[^a-z]/g, '')))
    words.shift();
  let out = words
    .join(' ')
    .replace(/^[,;:\-–—\s]+/, '')
    .replace(/[,;:\-–—\s]+$/, '');
  out = out.replace(/\bi\b(?=('m|'ve|'ll|'d)?\b)/g, 'I');
  if (!out) return out;
  out = out[0]!.toUpperCase() + out.slice(1);
  if (!/[.!?]["')\]]*$/.test(out)) out += '.';
  return out;
}
