/**
 * Whether the retrieved moments support an answer. A word occurring somewhere is not evidence
 * ("Rust" turns up in a list of hello-world languages): the question's distinctive terms must occur
 * together, in the moments retrieved from one video, and its names more than in passing. Pure: the
 * hits, the question and corpus term statistics in, a decision with its reasons out.
 */
import { editDistance, respell, spelledDigit, type Vocabulary } from '../retrieve/oov.ts';
import { stem, words } from '../text/tokenize.ts';
import type { SearchHit } from '../types.ts';
import type { QuestionAnalysis, SubjectTerm } from './question.ts';

/** Corpus statistics: how many chunks hold a term, and how many chunks there are. */
export interface TermStats extends Vocabulary {
  readonly size: number;
}

export interface SupportSettings {
  /** A term's weight is its corpus IDF, capped: a rare word in the question's wording is not the subject. */
  maxWeight: number;
  /** Mentions of a term (in the moments of one video) that count as full support; fewer count pro rata. */
  fullSupport: number;
  /** A video title holding the term counts as this many mentions. */
  titleMentions: number;
  /** A capitalised name at most this common in the corpus (share of chunks) must be supported... */
  entityMaxShare: number;
  /** ...by at least this many mentions in the same video: a name said once is a passing mention. */
  entityMentions: number;
  /** A version bound to a name ("GPT-5.3") needs this many mentions next to that name. */
  versionMentions: number;
  /** Answer only when the best video's weighted support reaches this. */
  threshold: number;
}

/**
 * Measured with scripts/tune-refusal.ts on answerability.dev.jsonl and evals/datasets/refusal.dev.jsonl
 * (see README "Answering"); the threshold is the middle of the widest plateau of the best
 * accuracy, leave-one-out figures are printed by the script.
 */
export const DEFAULT_SUPPORT: SupportSettings = {
  maxWeight: 5,
  fullSupport: 2,
  titleMentions: 3,
  entityMaxShare: 0.1,
  entityMentions: 3,
  versionMentions: 2,
  threshold: 0.5,
};

/** Answer only when the support strength reaches this. */
export const REFUSAL_THRESHOLD = DEFAULT_SUPPORT.threshold;

export interface VideoSupport {
  videoId: string;
  title: string;
  /** Where the video's best-ranked retrieved moment starts. */
  start: number;
  /** Best rank (0-based) among the video's hits. */
  rank: number;
  /** Mentions per subject term (title included). */
  mentions: Map<string, number>;
  /** Weighted share of the subject the video's moments support, in [0, 1]. */
  score: number;
  /** Names (and bound versions) the video does not support enough. */
  unmetEntities: SubjectTerm[];
}

export interface SupportDecision {
  answer: boolean;
  /** The best score of a video that supports every name the question gives (0 when none does). */
  strength: number;
  /** Videos by score, best first. */
  videos: VideoSupport[];
  /** Subject terms the best-supported video lacks (absent or only in passing). */
  missing: SubjectTerm[];
}

interface Counter {
  count(term: SubjectTerm): number;
}

/** Counts term mentions in a text: stems, ASR compounds split in two ("work trees"), bound versions. */
function counter(text: string, spellings: ReadonlyMap<string, string[]>): Counter {
  const ws = words(text);
  const stems = ws.map((w) => stem(w));
  return {
    count(t) {
      const forms = new Set([t.term, ...(spellings.get(t.term) ?? [])]);
      let n = 0;
      for (let i = 0; i < stems.length; i++) {
        const joined = i + 1 < ws.length ? stem(ws[i]! + ws[i + 1]!) : '';
        const match = forms.has(stems[i]!) || forms.has(joined);
        if (!match) {
          // "gpt4" is GPT-4: it counts for the name and for its bound version.
          const s = stems[i]!;
          if (t.boundTo.some((b) => s === `${b}${t.term}`)) n++;
          else if (s.startsWith(t.term) && /^\d+(\.\d+)*$/.test(s.slice(t.term.length))) n++;
          continue;
        }
        if (t.boundTo.length > 0) {
          const near = [stems[i - 1], stems[i + 1], stems[i + 2]];
          if (!near.some((s) => s !== undefined && t.boundTo.includes(s))) continue;
        }
        n++;
      }
      return n;
    },
  };
}

/**
 * The corpus's usual spelling of a term it has only a few times: one edit away, same first letter,
 * at least RESPELLING_RATIO times as common ("postgres" 2 chunks, "postgress" 99: speech
 * recognition's spelling, with the right one in a stray line).
 */
export const RESPELLING_RATIO = 10;

function commonerSpelling(t: SubjectTerm, stats: TermStats): string | null {
  const { term } = t;
  // The stem may be cut short ("postgres" → "postgr"): the word as asked is compared too.
  const word = t.surface.toLowerCase();
  const df = stats.df(term);
  if (term.length < 5 || /\d/.test(term) || df === 0 || df * RESPELLING_RATIO > 0.01 * stats.size)
    return null;
  let best: { term: string; df: number } | null = null;
  for (const candidate of stats.terms()) {
    if (candidate[0] !== term[0] || candidate === term) continue;
    const n = stats.df(candidate);
    if (n < RESPELLING_RATIO * df || (best && n <= best.df)) continue;
    if (editDistance(term, candidate, 1) <= 1 || editDistance(word, candidate, 1) <= 1)
      best = { term: candidate, df: n };
  }
  return best?.term ?? null;
}

/**
 * Corpus spellings for subject terms the corpus never has ("ollama" → "olama"), or has far less
 * often than a spelling one edit away ("postgres" → "postgress").
 */
export function spellingsFor(subject: readonly SubjectTerm[], stats: TermStats): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of subject) {
    if (stats.df(t.term) > 0) {
      const usual = commonerSpelling(t, stats);
      if (usual) out.set(t.term, [usual]);
      continue;
    }
    const alt = [...respell([t.term], stats).keys()];
    // Speech recognition spells a name's last digit out: "Mem0" is said "mem zero".
    const spelled = spelledDigit(t.term);
    if (spelled) out.set(t.term, alt.length === 1 ? [...alt, spelled] : [spelled]);
    else if (alt.length === 1) out.set(t.term, alt);
    // A split ("fastapi" → "fast", "api") is matched by the joined-pair rule instead.
  }
  return out;
}

export function termWeight(
  term: string,
  stats: TermStats,
  settings: SupportSettings = DEFAULT_SUPPORT,
): number {
  const df = stats.df(term);
  if (df === 0) return settings.maxWeight;
  return Math.min(settings.maxWeight, Math.log(stats.size / df));
}

interface Group {
  videoId: string;
  title: string;
  start: number;
  rank: number;
  text: string;
}

/** A video's retrieved moments as one text: overlapping chunks share segments, each counted once. */
function groupByVideo(hits: readonly SearchHit[]): Group[] {
  const groups = new Map<string, { group: Group; segments: Map<number, string> }>();
  hits.forEach((hit, rank) => {
    let g = groups.get(hit.videoId);
    if (!g) {
      g = {
        group: { videoId: hit.videoId, title: hit.title, start: hit.citeStart, rank, text: '' },
        segments: new Map(),
      };
      groups.set(hit.videoId, g);
    }
    const segments =
      hit.segments.length > 0 ? hit.segments : [{ start: hit.start, end: hit.end, text: hit.text }];
    for (const s of segments) g.segments.set(s.start, s.text);
  });
  return [...groups.values()].map(({ group, segments }) => ({
    ...group,
    text: [...segments.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, text]) => text)
      .join(' '),
  }));
}

/** Scores how well each video's retrieved moments support the question, and decides. */
export function assessSupport(
  analysis: QuestionAnalysis,
  hits: readonly SearchHit[],
  stats: TermStats,
  settings: SupportSettings = DEFAULT_SUPPORT,
): SupportDecision {
  const subject = analysis.subject;
  if (subject.length === 0 || hits.length === 0) {
    return { answer: false, strength: 0, videos: [], missing: [...subject] };
  }
  const spellings = spellingsFor(subject, stats);
  const weights = new Map(subject.map((t) => [t.term, termWeight(t.term, stats, settings)]));
  // Names given as examples or alternatives ("platforms like Vapi or Bland") are not required.
  const mustHave = subject.filter(
    (t) =>
      t.boundTo.length > 0 ||
      (t.entity && !t.optional && stats.df(t.term) <= settings.entityMaxShare * Math.max(stats.size, 1)),
  );
  const videos: VideoSupport[] = groupByVideo(hits).map((g) => {
    const inText = counter(g.text, spellings);
    const inTitle = counter(g.title, spellings);
    const mentions = new Map<string, number>();
    for (const t of subject) {
      mentions.set(t.term, inText.count(t) + (inTitle.count(t) > 0 ? settings.titleMentions : 0));
    }
    // A name written with another in parentheses ("Agent2Agent (A2A)") is said when either is.
    const said = (t: SubjectTerm) =>
      Math.max(mentions.get(t.term)!, ...(t.aliases ?? []).map((a) => mentions.get(a) ?? 0));
    // An example or alternative the question gives ("like Vapi") counts where the video says it
    // and is not missed where it does not.
    let supported = 0;
    let total = 0;
    for (const t of subject) {
      const n = said(t);
      if (t.optional && n === 0) continue;
      supported += weights.get(t.term)! * Math.min(1, n / settings.fullSupport);
      total += weights.get(t.term)!;
    }
    // Several names said together in one video back each other: each then needs one mention fewer.
    const names = mustHave.filter((t) => t.boundTo.length === 0);
    const together = names.length > 1 && names.every((t) => mentions.get(t.term)! > 0) ? 1 : 0;
    const unmetEntities = mustHave.filter(
      (t) => said(t) < (t.boundTo.length > 0 ? settings.versionMentions : settings.entityMentions - together),
    );
    return {
      videoId: g.videoId,
      title: g.title,
      start: g.start,
      rank: g.rank,
      mentions,
      score: total > 0 ? supported / total : 0,
      unmetEntities,
    };
  });
  // A video that leaves a name unsupported cannot carry the answer, however much else it matches.
  const rankValue = (v: VideoSupport) => (v.unmetEntities.length === 0 ? 1 : 0) + v.score;
  videos.sort((a, b) => rankValue(b) - rankValue(a) || a.rank - b.rank);
  const best = videos[0]!;
  // One number for the decision, so its threshold can be swept: the best score of a video that
  // supports every name; 0 when none does.
  const strength = best.unmetEntities.length === 0 ? best.score : 0;
  const answer = strength >= settings.threshold;
  const missing = subject.filter(
    (t) => best.unmetEntities.includes(t) || (best.mentions.get(t.term) ?? 0) < 1,
  );
  return { answer, strength, videos, missing };
}
