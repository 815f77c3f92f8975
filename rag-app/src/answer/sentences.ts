/**
 * Cutting transcript text into quotable units that remember the second they start. Units are
 * verbatim slices of the transcript: only the cut points are chosen, no character is changed.
 * Speech-recognition text is mostly unpunctuated, so long runs are cut where a clause can end
 * (a comma, before "so", "but", "because", a new subject) and never after a word that needs a
 * continuation ("the", "to", "it's"); a cut that has to split a clause anyway is marked "…".
 */
import type { SearchHit, Segment } from '../types.ts';

export type CutKind = 'sentence' | 'clause' | 'forced';

export interface Sentence {
  /** Rank of the hit the unit came from (0 = best). */
  hitIndex: number;
  videoId: string;
  title: string;
  /** Whole seconds: start rounded down, end rounded up. */
  start: number;
  end: number;
  /** The unit as spoken: a verbatim slice of the segments laid end to end. */
  text: string;
  /** How the unit begins and ends: at punctuation, at a clause boundary, or inside a clause. */
  open: CutKind;
  close: CutKind;
  /** Where the unit sits in the stream of segments it was cut from (character offsets). */
  from: number;
  to: number;
}

/** Unit lengths, in words, for text without sentence punctuation. */
export const CLAUSE_WORDS = { min: 7, target: 18, max: 32 } as const;

/** Words after which a clause cannot end: a unit ending here was cut mid-clause. */
export const DANGLING_WORDS: ReadonlySet<string> = new Set(
  `a an the to of in on at for with from by into onto about as than and or but nor because if when while
  whereas that which who whom whose where is are was were be been being am has have had do does did can
  could will would should shall may might must its it's that's there's what's here's i'm we're you're
  they're he's she's i've we've you've they've i'll we'll you'll they'll i'd we'd you'd they'd gonna
  wanna gotta i we they he she my your our their his very really just also not don't doesn't didn't
  isn't aren't won't can't every each some such like so then`
    .split(/\s+/)
    .filter(Boolean),
);

/** Words that open a new clause: cutting just before them is cutting at a boundary. */
const STRONG_OPENERS = new Set([
  'so',
  'but',
  'now',
  'because',
  'okay',
  'alright',
  'however',
  'basically',
  'anyway',
  'instead',
  'otherwise',
  'essentially',
]);
const WEAK_OPENERS = new Set([
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
  "that's",
  "it's",
  "there's",
  "i'm",
  "we're",
  "you're",
  'what',
  'there',
  'they',
]);

const NUMBER_WORDS =
  'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|final|\\d+';
/**
 * Spoken section headings of list videos ("tip number six", "mistake two", "step 3"): a new item of
 * the video starts there, so a unit is cut before one. `step` headings are a procedure's own steps.
 */
const SECTION_CUE = new RegExp(
  `^(tip|mistake|rule|lesson|secret|hack|trick|strategy|principle|reason|idea|tool|feature|part|chapter|section|step)( number)? (${NUMBER_WORDS})\\b`,
  'i',
);

/** Whether `text` opens with a section heading other than a step ("tip number six a lot of people…"). */
export function opensSection(text: string): boolean {
  const m = SECTION_CUE.exec(text.trim());
  return m !== null && m[1]!.toLowerCase() !== 'step';
}

/** Spoken glue at the edges of a unit, left out by moving the cut (never by editing the text). */
const EDGE_FILLERS = new Set([
  'so',
  'and',
  'but',
  'okay',
  'ok',
  'alright',
  'um',
  'uh',
  'uhm',
  'well',
  'yeah',
  'like',
  'right',
  'now',
  'anyway',
]);

interface Placed {
  segment: Segment;
  from: number;
  to: number;
}

/** Segments laid end to end in one string, each remembering where it sits. */
export function layOut(segments: readonly Segment[]): { stream: string; placed: Placed[] } {
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

interface Word {
  from: number;
  to: number;
  /** As written. */
  raw: string;
  /** Lower case, edge punctuation stripped. */
  bare: string;
  /** The word ends with sentence punctuation (not a decimal point). */
  stop: boolean;
  /** The word ends with a comma, semicolon, colon or dash. */
  pause: boolean;
}

export function wordsOf(stream: string, from = 0, to = stream.length): Word[] {
  return [...stream.slice(from, to).matchAll(/\S+/g)].map((m) => {
    const raw = m[0];
    return {
      from: from + m.index,
      to: from + m.index + raw.length,
      raw,
      bare: raw
        .toLowerCase()
        .replace(/[\u2018\u2019]/g, "'")
        .replace(/^[^a-z0-9']+|[^a-z0-9']+$/g, ''),
      stop: /[.!?]["')\]]*$/.test(raw) && !/^\d+\.\d+$/.test(raw),
      pause: /[,;:\u2013\u2014-]$/.test(raw),
    };
  });
}

/** Cost of cutting before word i (after word i - 1). */
function cutCost(ws: readonly Word[], i: number): { cost: number; kind: CutKind } {
  const prev = ws[i - 1]!;
  const next = ws[i]!;
  if (DANGLING_WORDS.has(prev.bare)) return { cost: 6, kind: 'forced' };
  if (SECTION_CUE.test(`${next.bare} ${ws[i + 1]?.bare ?? ''} ${ws[i + 2]?.bare ?? ''}`))
    return { cost: 0.1, kind: 'clause' };
  if (prev.pause) return { cost: 0.3, kind: 'clause' };
  if (STRONG_OPENERS.has(next.bare)) return { cost: 0.5, kind: 'clause' };
  // "and so", "and then": the clause starts at the "and".
  if (next.bare === 'and' && STRONG_OPENERS.has(ws[i + 1]?.bare ?? '')) return { cost: 0.4, kind: 'clause' };
  if (WEAK_OPENERS.has(next.bare)) return { cost: 1.2, kind: 'clause' };
  return { cost: 4, kind: 'forced' };
}

function lengthCost(n: number): number {
  const { min, target, max } = CLAUSE_WORDS;
  if (n < min) return 3 + (min - n);
  if (n > max) return 3 + (n - max);
  // Short clauses read fine; long ones tire: the penalty grows faster above the target.
  return n < target ? ((target - n) / 12) ** 2 : ((n - target) / 8) ** 2;
}

/** Best cut points for a punctuation-free run of words (dynamic programming over cut positions). */
function clauseCuts(ws: readonly Word[]): { at: number; kind: CutKind }[] {
  const n = ws.length;
  if (n < 2 * CLAUSE_WORDS.min) return [];
  const best = new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY);
  const back = new Array<number>(n + 1).fill(-1);
  best[0] = 0;
  for (let end = 1; end <= n; end++) {
    for (let start = Math.max(0, end - CLAUSE_WORDS.max - 8); start < end; start++) {
      if (!Number.isFinite(best[start]!)) continue;
      const cut = start === 0 ? 0 : cutCost(ws, start).cost;
      const cost = best[start]! + cut + lengthCost(end - start);
      if (cost < best[end]!) {
        best[end] = cost;
        back[end] = start;
      }
    }
  }
  const cuts: number[] = [];
  for (let at = back[n]!; at > 0; at = back[at]!) cuts.unshift(at);
  return cuts.map((at) => ({ at, kind: cutCost(ws, at).kind }));
}

interface Span {
  from: number;
  to: number;
  open: CutKind;
  close: CutKind;
}

/** Whether a stream starts and ends where its transcript does (rather than where a chunk was cut). */
export interface StreamEdges {
  start: boolean;
  end: boolean;
}
const WHOLE: StreamEdges = { start: true, end: true };

/**
 * Whether a stretch that starts at `w` can start a sentence: a capital, or a word that opens a
 * clause. A retrieved passage starts where its chunk did, usually inside a sentence.
 */
function opensClause(w: Word | undefined): boolean {
  if (!w) return true;
  if (/^[^\p{L}\p{N}]*\p{Lu}/u.test(w.raw)) return true;
  return STRONG_OPENERS.has(w.bare) || WEAK_OPENERS.has(w.bare) || EDGE_FILLERS.has(w.bare);
}

/**
 * The stream's units as offsets: sentences at punctuation, long ones cut into clauses. Where the
 * stream starts and ends it was cut from a longer transcript: its first unit opens inside a clause
 * unless it looks like a sentence's start, its last
 * closes inside one unless punctuation ends it. `edges` says which ends are the transcript's own
 * (a video's first second; a whole text, the default).
 */
export function unitSpans(stream: string, edges: StreamEdges = WHOLE): Span[] {
  const ws = wordsOf(stream);
  const spans: Span[] = [];
  let begin = 0;
  for (let i = 0; i < ws.length; i++) {
    if (!ws[i]!.stop && i + 1 < ws.length) continue;
    const run = ws.slice(begin, i + 1);
    const cuts = clauseCuts(run);
    let open: CutKind = begin > 0 || edges.start || opensClause(run[0]) ? 'sentence' : 'forced';
    let s = 0;
    const end: CutKind = ws[i]!.stop || edges.end ? 'sentence' : 'forced';
    for (const cut of [...cuts, { at: run.length, kind: end }]) {
      spans.push({ from: run[s]!.from, to: run[cut.at - 1]!.to, open, close: cut.kind });
      open = cut.kind;
      s = cut.at;
    }
    begin = i + 1;
  }
  return spans.map((span) => trimEdges(stream, span)).filter((s) => s.to > s.from);
}

/** Moves the cut points past spoken glue at either edge ("so", "um", "and"), keeping at least 4 words. */
function trimEdges(stream: string, span: Span): Span {
  const ws = wordsOf(stream, span.from, span.to);
  let a = 0;
  let b = ws.length;
  while (b - a > 4 && EDGE_FILLERS.has(ws[a]!.bare) && !ws[a]!.stop) a++;
  if (ws.length === 0) return span;
  // Trailing glue goes only where the word before it can end a clause.
  while (
    b - a > 4 &&
    !ws[b - 1]!.stop &&
    EDGE_FILLERS.has(ws[b - 1]!.bare) &&
    !DANGLING_WORDS.has(ws[b - 2]!.bare)
  )
    b--;
  let to = ws[b - 1]!.to;
  let close = span.close;
  if (b < ws.length && close === 'sentence') close = 'clause';
  // Wherever the cut fell, a unit ending on a word that needs a continuation was cut inside a clause.
  if (!ws[b - 1]!.stop && DANGLING_WORDS.has(ws[b - 1]!.bare)) close = 'forced';
  // A trailing comma or dash is not part of the quote.
  while (to > ws[b - 1]!.from + 1 && /[,;:\u2013\u2014-]/.test(stream[to - 1]!)) to--;
  return { from: ws[a]!.from, to, open: a > 0 && span.open === 'sentence' ? 'clause' : span.open, close };
}

/** The units of one hit, in spoken order, each with its start and end second. */
export function hitSentences(hit: SearchHit, hitIndex: number): Sentence[] {
  const segments =
    hit.segments.length > 0 ? hit.segments : [{ start: hit.start, end: hit.end, text: hit.text }];
  return segmentSentences(segments, { hitIndex, videoId: hit.videoId, title: hit.title });
}

export function segmentSentences(
  segments: readonly Segment[],
  from: { hitIndex: number; videoId: string; title: string },
): Sentence[] {
  const { stream, placed } = layOut(segments);
  // Segments come from a chunk cut out of the transcript: only a video's first second starts clean.
  const edges = { start: (segments[0]?.start ?? 0) < 1, end: false };
  return unitSpans(stream, edges).map((span) => {
    const start = Math.floor(secondAt(placed, span.from));
    const end = Math.max(start, Math.ceil(secondAt(placed, span.to)));
    return {
      ...from,
      start,
      end,
      text: stream.slice(span.from, span.to),
      open: span.open,
      close: span.close,
      from: span.from,
      to: span.to,
    };
  });
}

/** A unit as shown: verbatim, with "…" where it was cut inside a clause. */
export function quoted(s: Pick<Sentence, 'text' | 'open' | 'close'>): string {
  return `${s.open === 'forced' ? '…' : ''}${s.text}${s.close === 'forced' ? '…' : ''}`;
}
