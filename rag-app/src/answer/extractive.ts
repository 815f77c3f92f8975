/**
 * The offline answerer: no model, no key. It composes the answer from the evidence: the transcript
 * units that answer the kind of question asked (a definition, a list, steps, a comparison, an
 * opinion, a reason), from the one or few videos that treat it, sponsor reads and channel framing
 * left out, adjacent units of one moment merged, laid out as a lead line and then bullets or steps,
 * grouped by video. Every quoted unit is a verbatim slice of the transcript ("…" marks a cut inside
 * a clause) cited to the second it starts. Deterministic: the same hits give the same answer.
 */
import { stem } from '../text/tokenize.ts';
import type { SearchHit, Segment } from '../types.ts';
import type { Answerer, AnswerOptions, AnswerOutput } from './answerer.ts';
import { judgeEvidence, refusalOutput, type Verdict } from './decide.ts';
import { framingKind, sponsorMask } from './filler.ts';
import { composeLayout, type Item } from './layout.ts';
import type { QuestionAnalysis, QuestionKind } from './question.ts';
import { layOut, type Sentence, segmentSentences, wordsOf } from './sentences.ts';
import { streamText } from './stream.ts';
import { spellingsFor, termWeight } from './support.ts';
import { contentTerms, jaccard } from './terms.ts';

export interface ExtractiveSettings {
  /** Bullets (or steps) after the lead line. */
  maxItems: number;
  /** Words the whole answer may quote. */
  maxWords: number;
  /** A bullet may grow to this many words by merging the units next to it. */
  maxItemWords: number;
  /** Relevance bonus for coming from the top hit, shrinking with rank. */
  rankPrior: number;
  /** Share of the neighbouring units' coverage a unit inherits ("...three stages. The first is..."). */
  contextWeight: number;
  /** Bonus for a unit shaped like the answer the question asks for. */
  kindWeight: number;
  /** Bonus for the share of the question its video's title names (a video about the subject). */
  videoWeight: number;
  /** Penalties for channel framing ("in this video", "link in the description") and demo talk. */
  metaPenalty: number;
  demoPenalty: number;
  /** Another video joins the answer when its support is at least this share of the best video's. */
  videoRatio: number;
  maxVideos: number;
  /** Past the lead, stop once relevance falls below this share of the lead's. */
  relativeFloor: number;
  /** A candidate this similar (Jaccard of terms) to a chosen unit is a repeat. */
  maxSimilarity: number;
  /** Windows said within this many seconds after the lead carry its explanation on... */
  followSeconds: number;
  /** ...and gain this share of the lead's score. */
  followWeight: number;
  /** Bonus for being said early in the video (a video introduces its subject first), fading over earlySeconds. */
  earlyWeight: number;
  earlySeconds: number;
  /** The main passage is the one whose best 3 units score highest, plus this times its video's support. */
  supportWeight: number;
  /** The lead reads on through the units after its best one up to this many words. */
  leadWords: number;
  /**
   * A window said within this many seconds of a chosen one gains this share of the lead's score:
   * the moment that treats the subject holds several on-topic windows, a passing mention one.
   */
  clusterSeconds: number;
  clusterWeight: number;
  /**
   * Bullets of one passage at most this many words apart are quoted as one moment under one
   * citation, the words between included (they count on top of maxWords).
   */
  mergeGapWords: number;
}

export const DEFAULT_EXTRACTIVE: ExtractiveSettings = {
  maxItems: 5,
  maxWords: 200,
  maxItemWords: 45,
  rankPrior: 0.3,
  contextWeight: 0.3,
  kindWeight: 0.45,
  videoWeight: 0.6,
  metaPenalty: 0.3,
  demoPenalty: 0.1,
  videoRatio: 0.85,
  maxVideos: 3,
  relativeFloor: 0.35,
  maxSimilarity: 0.6,
  followSeconds: 60,
  followWeight: 1,
  earlyWeight: 0.3,
  earlySeconds: 600,
  supportWeight: 2,
  leadWords: 80,
  clusterSeconds: 20,
  clusterWeight: 0.3,
  mergeGapWords: 25,
};

/** A run of contiguous transcript from one video, made of the segments of one or more hits. */
export interface Passage {
  videoId: string;
  title: string;
  /** Best rank (0-based) of the hits it came from. */
  rank: number;
  stream: string;
  segments: Segment[];
  units: Unit[];
}

export interface Unit extends Sentence {
  passage: Passage;
  /** Position in the passage's units. */
  index: number;
  terms: ReadonlySet<string>;
  sponsor: boolean;
  framing: 'meta' | 'demo' | null;
  coverage: number;
  relevance: number;
}

/** Segments of one video's hits merged by start second, cut into contiguous passages. */
export function passagesOf(hits: readonly SearchHit[]): Passage[] {
  const byVideo = new Map<string, { title: string; segments: Map<number, { s: Segment; rank: number }> }>();
  // Rank by fused score, not position: a moment found by a search inside one video ranks as it
  // ranked there (its score is on the same scale), not behind every first-round hit.
  const scores = hits.map((h) => h.score);
  hits.forEach((hit) => {
    const rank = scores.filter((s) => s > hit.score).length;
    let v = byVideo.get(hit.videoId);
    if (!v) {
      v = { title: hit.title, segments: new Map() };
      byVideo.set(hit.videoId, v);
    }
    const segs =
      hit.segments.length > 0 ? hit.segments : [{ start: hit.start, end: hit.end, text: hit.text }];
    for (const s of segs) if (!v.segments.has(s.start)) v.segments.set(s.start, { s, rank });
  });
  const passages: Passage[] = [];
  for (const [videoId, v] of byVideo) {
    const sorted = [...v.segments.values()].sort((a, b) => a.s.start - b.s.start);
    let run: { s: Segment; rank: number }[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const segments = run.map((r) => r.s);
      const p: Passage = {
        videoId,
        title: v.title,
        rank: Math.min(...run.map((r) => r.rank)),
        stream: layOut(segments).stream,
        segments,
        units: [],
      };
      passages.push(p);
      run = [];
    };
    for (const r of sorted) {
      const last = run[run.length - 1];
      if (last && r.s.start > last.s.end + 2) flush();
      run.push(r);
    }
    flush();
  }
  return passages.sort((a, b) => a.rank - b.rank || a.segments[0]!.start - b.segments[0]!.start);
}

/** Stems of a unit's words, plus adjacent pairs joined ("work trees" → "worktre"). */
function unitTerms(text: string): Set<string> {
  const out = new Set(contentTerms(text));
  const ws = wordsOf(text).map((w) => w.bare);
  for (let i = 0; i + 1 < ws.length; i++) out.add(stem(`${ws[i]}${ws[i + 1]}`));
  return out;
}

const KIND_CUES: Record<QuestionKind, RegExp> = {
  definition:
    /\b(is|are|means|stands for|is short for|refers to|is called|called|which is|is basically|is essentially|is just|is a|is an|is the|is really)\b/i,
  list: /\w+, \w+(,)? (and |or )?\w+|\b(first|second|third|fourth|fifth|last|finally|next|another|one of|two|three|four|five|step|stage|phase|component|rule|piece|part|layer)\b/i,
  steps:
    /\b(first|then|next|after that|once|step|go (to|into|over)|click|add|create|set up|select|paste|copy|open|install|run|connect|configure|you (want|need|have) to|you can|we can|we're going to)\b/i,
  comparison:
    /\b(versus|vs|whereas|while|instead|compared|than|better|worse|more|less|but|difference|different|advantage|downside|on the other hand)\b/i,
  opinion:
    /\b(i think|i believe|i feel|i love|i like|i prefer|i recommend|i would|i'd|my (take|opinion|recommendation|favorite|go-to)|honestly|personally|in my (mind|opinion)|i'm (a big fan|not a fan)|i don't (like|think|recommend)|the best|worth it|overrated|underrated|i was wrong)\b/i,
  reason:
    /\b(because|the reason|that's why|so that|which means|since|the problem|the issue|the benefit|the advantage|the key|the point)\b/i,
};

/** How much a unit looks like the answer the question wants: 0 to 1, or 2 for a definition of the subject. */
export function kindScore(text: string, analysis: QuestionAnalysis): number {
  if (analysis.kinds.length === 0) return 0;
  const lower = text.toLowerCase();
  let best = 0;
  analysis.kinds.forEach((kind, i) => {
    // The first kind is the question's main ask; later ones count less.
    const weight = i === 0 ? 1 : 0.6;
    let score = KIND_CUES[kind].test(lower) ? 0.4 : 0;
    if (kind === 'definition') {
      // "piv is short for...", "archon is an ai agent that...": the subject, then the definition.
      // What is defined: the phrase after "what is" ("context rot"), else the names asked about.
      const phrase = definiendum(analysis.question);
      const entities = analysis.subject.filter((t) => t.entity).map((t) => t.surface);
      const names = phrase
        ? [phrase, ...entities]
        : analysis.subject.filter((t) => t.entity || t.boundTo.length === 0).map((t) => t.surface);
      for (const name of names) {
        // Not "what the heck X actually is": the copula must go on to say something.
        const re = new RegExp(
          `(?<!\\bwhat\\s+(\\w+\\s+){0,3})\\b${name
            .toLowerCase()
            .split(/\s+/)
            .map(escapeRegExp)
            .join('\\s+')}\\w*\\s+(\\w+\\s+){0,2}(is|are|means|stands for|refers to)\\s+\\S+\\s+\\S+\\s+\\S+`,
        );
        // The definition is the answer: it outranks any number of mentions.
        if (re.test(lower)) score = 2;
      }
    }
    if (kind === 'comparison' && analysis.sides.length === 2) {
      const terms = unitTerms(text);
      const both = analysis.sides.every((side) => side.some((t) => terms.has(t)));
      if (both) score = Math.max(score, 1);
    }
    best = Math.max(best, score * weight);
  });
  return best;
}

/**
 * The phrase a "what is X" question asks to define, its last two words at most, lower case
 * ("What is context rot and how…" → "context rot", "What is Karpathy's LLM wiki…" → "llm wiki").
 */
export function definiendum(question: string): string | null {
  const m =
    /\bwhat(?:'s| is| are)\s+(?:the |a |an )?(.+?)(?=\s+(?:and|or|from|in|for|per|that|which|when|with)\b|[,?(]|$)/i.exec(
      question,
    );
  if (!m) return null;
  const ws = m[1]!
    .toLowerCase()
    .replace(/['’]s\b/g, '')
    .split(/[\s/]+/)
    .map((w) => w.replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, ''))
    .filter(Boolean);
  // "Cole's take on X", "the difference between X and Y": not a thing to define.
  if (ws.length === 0 || ws.length > 5 || ws.some((w) => /^(on|of|about|between|difference)$/.test(w)))
    return null;
  return ws.slice(-2).join(' ');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Every unit of the passages, scored against the question; sponsor reads marked. */
export function scoreUnits(
  passages: readonly Passage[],
  verdict: Verdict,
  settings: ExtractiveSettings = DEFAULT_EXTRACTIVE,
): Unit[] {
  const { analysis, stats } = verdict;
  const weights = new Map(analysis.subject.map((t) => [t.term, termWeight(t.term, stats)]));
  let total = 0;
  for (const w of weights.values()) total += w;
  // A term the corpus spells its own way counts in that spelling too ("postgres" as "postgress").
  const spellings = spellingsFor(analysis.subject, stats);
  const has = (terms: ReadonlySet<string>, t: string) =>
    terms.has(t) || (spellings.get(t)?.some((x) => terms.has(x)) ?? false);
  const titleShare = new Map<string, number>();
  const all: Unit[] = [];
  for (const p of passages) {
    if (!titleShare.has(p.videoId)) {
      const inTitle = unitTerms(p.title);
      let share = 0;
      for (const [t, w] of weights) if (has(inTitle, t)) share += w;
      titleShare.set(p.videoId, total > 0 ? share / total : 0);
    }
    const sentences = segmentSentences(p.segments, { hitIndex: p.rank, videoId: p.videoId, title: p.title });
    const mask = sponsorMask(sentences);
    p.units = sentences.map((s, index) => {
      const terms = unitTerms(s.text);
      let matched = 0;
      for (const [t, w] of weights) if (has(terms, t)) matched += w;
      const coverage = total > 0 ? (matched / total) * Math.min(1, wordCount(s.text) / 8) : 0;
      return {
        ...s,
        passage: p,
        index,
        terms,
        sponsor: mask[index]!,
        framing: framingKind(s.text),
        coverage,
        relevance: 0,
      };
    });
    for (const u of p.units) {
      const near = Math.max(p.units[u.index - 1]?.coverage ?? 0, p.units[u.index + 1]?.coverage ?? 0);
      const penalty =
        u.framing === 'meta' ? settings.metaPenalty : u.framing === 'demo' ? settings.demoPenalty : 0;
      u.relevance =
        u.coverage +
        settings.contextWeight * near +
        settings.kindWeight * kindScore(u.text, analysis) * (u.coverage > 0 ? 1 : 0.5) +
        settings.videoWeight * titleShare.get(u.videoId)! +
        settings.rankPrior / Math.sqrt(1 + p.rank) +
        settings.earlyWeight * Math.max(0, 1 - u.start / settings.earlySeconds) -
        penalty;
      all.push(u);
    }
  }
  return all;
}

/** A run of consecutive units of one passage: one moment, quoted as one item with one citation. */
export interface Window {
  passage: Passage;
  /** First and last unit index (inclusive). */
  a: number;
  b: number;
  score: number;
}

function windowWords(p: Passage, a: number, b: number): number {
  return wordCount(p.stream.slice(p.units[a]!.from, p.units[b]!.to));
}

/**
 * The best window starting at each on-topic unit: the unit itself, grown forward while the next
 * unit is still on topic (or the current one was cut inside a clause) and the window stays short.
 */
export function windowsOf(
  units: readonly Unit[],
  settings: ExtractiveSettings = DEFAULT_EXTRACTIVE,
): Window[] {
  const out: Window[] = [];
  for (const u of units) {
    if (u.sponsor || u.coverage <= 0) continue;
    const p = u.passage;
    let b = u.index;
    let score = u.relevance;
    for (;;) {
      const next = p.units[b + 1];
      if (!next || next.sponsor) break;
      if (windowWords(p, u.index, b + 1) > settings.maxItemWords) break;
      const forced = p.units[b]!.close === 'forced';
      if (!forced && next.coverage <= 0 && windowWords(p, u.index, b) >= 12) break;
      b++;
      // What the window adds beyond its first unit: the topic it carries on.
      score += 0.25 * next.coverage;
    }
    out.push({ passage: p, a: u.index, b, score });
  }
  return out.sort(
    (x, y) =>
      y.score - x.score ||
      x.passage.rank - y.passage.rank ||
      x.passage.units[x.a]!.start - y.passage.units[y.a]!.start,
  );
}

function overlaps(x: Window, y: Window): boolean {
  if (x.passage.videoId !== y.passage.videoId) return false;
  const ux = [x.passage.units[x.a]!, x.passage.units[x.b]!];
  const uy = [y.passage.units[y.a]!, y.passage.units[y.b]!];
  return ux[0]!.start < uy[1]!.end && uy[0]!.start < ux[1]!.end;
}

function windowTerms(w: Window): Set<string> {
  const out = new Set<string>();
  for (let i = w.a; i <= w.b; i++) for (const t of w.passage.units[i]!.terms) out.add(t);
  return out;
}

/**
 * The videos an answer draws on: ranked by their best two windows; others join the best one only
 * when nearly as strong.
 */
export function answeringVideos(
  windows: readonly Window[],
  settings: ExtractiveSettings = DEFAULT_EXTRACTIVE,
): string[] {
  const top = new Map<string, number[]>();
  for (const w of windows) {
    const list = top.get(w.passage.videoId) ?? [];
    if (list.length < 2) list.push(w.score);
    top.set(w.passage.videoId, list);
  }
  const ranked = [...top.entries()]
    .map(([videoId, scores]) => ({ videoId, value: (scores[0] ?? 0) + 0.5 * (scores[1] ?? 0) }))
    .sort((a, b) => b.value - a.value || (a.videoId < b.videoId ? -1 : 1));
  const best = ranked[0];
  if (!best) return [];
  return ranked
    .filter((v) => v.value >= settings.videoRatio * best.value)
    .slice(0, settings.maxVideos)
    .map((v) => v.videoId);
}

/**
 * The passage that treats the question: where its best few units score highest (one strong
 * sentence can be a passing remark; an explanation holds several), in a video that supports it.
 */
export function mainPassage(
  passages: readonly Passage[],
  support: ReadonlyMap<string, number>,
  settings: ExtractiveSettings = DEFAULT_EXTRACTIVE,
): Passage | null {
  let best: Passage | null = null;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const p of passages) {
    const top = p.units
      .filter((u) => !u.sponsor && u.coverage > 0)
      .map((u) => u.relevance)
      .sort((a, b) => b - a)
      .slice(0, 3);
    if (top.length === 0) continue;
    const value = top.reduce((a, b) => a + b, 0) + settings.supportWeight * (support.get(p.videoId) ?? 0);
    if (value > bestValue + 1e-9) {
      best = p;
      bestValue = value;
    }
  }
  return best;
}

/** The lead (the best window) and the other windows, strongest first, without repeats. */
export function selectWindows(
  windows: readonly Window[],
  settings: ExtractiveSettings = DEFAULT_EXTRACTIVE,
  main: Passage | null = null,
  options: { readOn: boolean } = { readOn: true },
): { lead: Window; rest: Window[] } | null {
  const videos = new Set(answeringVideos(windows, settings));
  if (main) videos.add(main.videoId);
  const candidates = windows.filter((w) => videos.has(w.passage.videoId));
  if (candidates.length === 0) return null;
  // The lead opens with the single best unit (a definition, for "what is"), and the moment it starts.
  const inMain = main ? candidates.filter((w) => w.passage === main) : [];
  const best = [...(inMain.length > 0 ? inMain : candidates)].sort(
    (x, y) => y.passage.units[y.a]!.relevance - x.passage.units[x.a]!.relevance || y.score - x.score,
  )[0]!;
  // The lead reads on through its moment: what follows the best sentence usually explains it.
  // Not for a how-to: there what follows is the steps, each a line of its own.
  let b = best.b;
  for (; options.readOn; ) {
    const next = best.passage.units[b + 1];
    if (!next || next.sponsor || next.framing === 'meta') break;
    // The passage's last unit may stop where the chunk did, mid-sentence: not worth reading on into.
    if (b + 2 === best.passage.units.length && !/[.!?]["')\]]*$/.test(next.text)) break;
    if (windowWords(best.passage, best.a, b + 1) > settings.leadWords) break;
    b++;
  }
  const lead: Window = b === best.b ? best : { ...best, b };
  const chosen = [lead];
  const termsOf = new Map<Window, Set<string>>([[lead, windowTerms(lead)]]);
  let words = windowWords(lead.passage, lead.a, lead.b);
  const leadEnd = lead.passage.units[lead.b]!.end;
  const follows = (w: Window) =>
    w.passage.videoId === lead.passage.videoId &&
    w.passage.units[w.b]!.end >= lead.passage.units[lead.a]!.start - settings.followSeconds / 2 &&
    w.passage.units[w.a]!.start <= leadEnd + settings.followSeconds;
  const value = (w: Window) => w.score + (follows(w) ? settings.followWeight * lead.score : 0);
  const startOf = (w: Window) => w.passage.units[w.a]!.start;
  const endOf = (w: Window) => w.passage.units[w.b]!.end;
  const clustered = (w: Window) =>
    chosen.some(
      (c) =>
        c.passage.videoId === w.passage.videoId &&
        startOf(w) <= endOf(c) + settings.clusterSeconds &&
        startOf(c) <= endOf(w) + settings.clusterSeconds,
    );
  // Greedy: each pick is the best remaining window, counting its closeness to those chosen so far.
  const left = candidates.filter(
    (w) => w !== best && !overlaps(lead, w) && value(w) >= settings.relativeFloor * lead.score,
  );
  while (left.length > 0 && chosen.length <= settings.maxItems) {
    let pick = 0;
    let pickValue = Number.NEGATIVE_INFINITY;
    left.forEach((w, i) => {
      const v = value(w) + (clustered(w) ? settings.clusterWeight * lead.score : 0);
      if (v > pickValue + 1e-9) {
        pick = i;
        pickValue = v;
      }
    });
    const w = left.splice(pick, 1)[0]!;
    if (chosen.some((c) => overlaps(c, w))) continue;
    const terms = windowTerms(w);
    if (chosen.some((c) => jaccard(termsOf.get(c)!, terms) > settings.maxSimilarity)) continue;
    const n = windowWords(w.passage, w.a, w.b);
    if (words + n > settings.maxWords) continue;
    chosen.push(w);
    termsOf.set(w, terms);
    words += n;
  }
  return { lead, rest: chosen.slice(1) };
}

/**
 * Bullets said one right after another (or with a few words between them) are one moment: quoted
 * as one stretch of transcript, the words between included verbatim, under one citation.
 */
export function mergeNear(windows: readonly Window[], maxGapWords: number): Window[] {
  if (maxGapWords < 0) return [...windows];
  // Passage by passage (the order passages were ranked in), then in the order said.
  const passages = [...new Set(windows.map((w) => w.passage))];
  const sorted = [...windows].sort(
    (x, y) => passages.indexOf(x.passage) - passages.indexOf(y.passage) || x.a - y.a,
  );
  const out: Window[] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && last.passage === w.passage && w.a > last.b) {
      const gap = w.a === last.b + 1 ? 0 : windowWords(w.passage, last.b + 1, w.a - 1);
      if (gap <= maxGapWords) {
        out[out.length - 1] = { ...last, b: w.b, score: Math.max(last.score, w.score) };
        continue;
      }
    }
    out.push(w);
  }
  return out;
}

function itemOf(w: Window): Item {
  const first = w.passage.units[w.a]!;
  const last = w.passage.units[w.b]!;
  return {
    videoId: w.passage.videoId,
    title: w.passage.title,
    segments: w.passage.segments,
    stream: w.passage.stream,
    from: first.from,
    to: last.to,
    open: first.open,
    close: last.close,
  };
}

export class ExtractiveAnswerer implements Answerer {
  readonly name = 'extractive';
  private readonly settings: ExtractiveSettings;

  constructor(settings: Partial<ExtractiveSettings> = {}) {
    this.settings = { ...DEFAULT_EXTRACTIVE, ...settings };
  }

  async answer(question: string, hits: SearchHit[], opts: AnswerOptions = {}): Promise<AnswerOutput> {
    opts.signal?.throwIfAborted();
    const verdict = opts.verdict ?? judgeEvidence(question, hits, null);
    const picked = verdict.support.answer ? this.pick(hits, verdict) : null;
    if (!picked) {
      const out = refusalOutput(hits.length > 0 ? verdict : null);
      streamText(out.answer, opts);
      return out;
    }
    const steps = verdict.analysis.kinds[0] === 'steps';
    const out = composeLayout(picked.lead, picked.rest, { numbered: steps });
    streamText(out.answer, opts);
    return { answer: out.answer, refused: false, citations: out.citations };
  }

  private pick(hits: readonly SearchHit[], verdict: Verdict): { lead: Item; rest: Item[] } | null {
    const passages = passagesOf(hits);
    const units = scoreUnits(passages, verdict, this.settings);
    const support = new Map(verdict.support.videos.map((v) => [v.videoId, v.score]));
    const main = mainPassage(passages, support, this.settings);
    const steps = verdict.analysis.kinds[0] === 'steps';
    const readOn = !steps;
    const chosen = selectWindows(windowsOf(units, this.settings), this.settings, main, { readOn });
    if (!chosen) return null;
    if (steps) return { lead: itemOf(chosen.lead), rest: chosen.rest.map(itemOf) };
    const rest = mergeNear(chosen.rest, this.settings.mergeGapWords);
    return { lead: itemOf(chosen.lead), rest: rest.map(itemOf) };
  }
}
