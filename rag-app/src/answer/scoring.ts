/**
 * How well each unit of the evidence answers the question: IDF-weighted coverage of its subject,
 * the neighbours' coverage, the shape of answer asked for (a definition, a list, steps, a
 * comparison, an opinion, a reason), the video's title, the retrieval rank; framing costs. Pure.
 */
import { stem } from '../text/tokenize.ts';
import type { Verdict } from './decide.ts';
import { DEFAULT_EXTRACTIVE, type ExtractiveSettings } from './extractive-settings.ts';
import { framingKind, sponsorMask } from './filler.ts';
import { byRank, type Passage, type Unit } from './passages.ts';
import type { QuestionAnalysis, QuestionKind } from './question.ts';
import { segmentSentences, wordsOf } from './sentences.ts';
import { spellingsFor, termWeight } from './support.ts';
import { contentTerms } from './terms.ts';

/** Stems of a unit's words, plus adjacent pairs joined ("work trees" → "worktre"). */
export function unitTerms(text: string): Set<string> {
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
    // The definition is the answer: it outranks any number of mentions.
    if (kind === 'definition' && definitionsIn(lower, analysis).length > 0) score = 2;
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
 * Where a unit defines the question's subject ("…and so piv is short for…", "archon is an ai agent
 * that…"): the offsets in `lower` (the unit lower-cased) where a defined name starts, in order.
 * What is defined: the phrase after "what is" ("context rot"), else the names asked about.
 */
export function definitionsIn(lower: string, analysis: QuestionAnalysis): number[] {
  const at = new Set<number>();
  for (const re of definitionPatterns(analysis)) for (const m of lower.matchAll(re)) at.add(m.index);
  return [...at].sort((a, b) => a - b);
}

// Built once per question: definitionsIn runs for every unit of the evidence.
const patternsOf = new WeakMap<QuestionAnalysis, RegExp[]>();

function definitionPatterns(analysis: QuestionAnalysis): RegExp[] {
  const held = patternsOf.get(analysis);
  if (held) return held;
  const phrase = definiendum(analysis.question);
  const entities = analysis.subject.filter((t) => t.entity).map((t) => t.surface);
  const names = phrase
    ? [phrase, ...entities]
    : analysis.subject.filter((t) => t.entity || t.boundTo.length === 0).map((t) => t.surface);
  const patterns = names.flatMap((name) => {
    const spoken = name.toLowerCase().split(/\s+/).map(escapeRegExp).join('\\s+');
    return [
      // Not "what the heck X actually is": the copula must go on to say something. The match is the
      // name alone (the rest a lookahead), so one definition's words never hide the next.
      new RegExp(
        `(?<!\\bwhat\\s+(\\w+\\s+){0,3})\\b${spoken}(?=\\w*\\s+(\\w+\\s+){0,2}(is|are|means|stands for|refers to)\\s+\\S+\\s+\\S+\\s+\\S+)`,
        'g',
      ),
      // Spoken definitions name the thing after describing it: "…needle in the haystack problem.
      // This is the idea of context rot", "that's what we call vibe coding".
      new RegExp(
        `\\b(this|that|it)(\\s+is|'s)\\s+(the idea of|what (we|i|people) call|what's called|what is called|called|known as)\\s+(the\\s+)?${spoken}\\b`,
        'g',
      ),
    ];
  });
  patternsOf.set(analysis, patterns);
  return patterns;
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

export function wordCount(text: string): number {
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
  const rankOf = new Map([...passages].sort(byRank).map((p, i) => [p, i]));
  const all: Unit[] = [];
  for (const p of passages) {
    if (!titleShare.has(p.videoId)) {
      const inTitle = unitTerms(p.title);
      let share = 0;
      for (const [t, w] of weights) if (has(inTitle, t)) share += w;
      titleShare.set(p.videoId, total > 0 ? share / total : 0);
    }
    const sentences = segmentSentences(p.segments, {
      hitIndex: rankOf.get(p)!,
      videoId: p.videoId,
      title: p.title,
    });
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
