/**
 * The answer-or-refuse decision for `ask`, and the refusal it gives. open.ts only composes: it
 * gathers the evidence, asks `judgeEvidence`, and either answers or returns `refusalOutput`.
 */
import { formatTimestamp } from '@dark-factory/kit';
import { deepLink, type SearchHit } from '../types.ts';
import type { AnswerOutput } from './answerer.ts';
import { analyseQuestion, type QuestionAnalysis, type SubjectTerm } from './question.ts';
import {
  assessSupport,
  DEFAULT_SUPPORT,
  type SupportDecision,
  type SupportSettings,
  type TermStats,
  termWeight,
} from './support.ts';
import { contentTerms } from './terms.ts';

/** What a refusal says first. */
export const REFUSAL_ANSWER = "The videos don't cover this.";

export interface Verdict {
  analysis: QuestionAnalysis;
  support: SupportDecision;
  /** The statistics the decision weighed terms with. */
  stats: TermStats;
}

/** Decides whether the evidence supports an answer (see support.ts for how). */
export function judgeEvidence(
  question: string,
  hits: readonly SearchHit[],
  stats: TermStats | null,
  settings: SupportSettings = DEFAULT_SUPPORT,
): Verdict {
  const analysis = analyseQuestion(question);
  const used = stats ?? statsFromHits(hits);
  return { analysis, support: assessSupport(analysis, hits, used, settings), stats: used };
}

/** Term statistics over the hits themselves, for callers without corpus statistics. */
export function statsFromHits(hits: readonly SearchHit[]): TermStats {
  const docs = hits.map((h) => new Set(contentTerms(`${h.title} ${h.text}`)));
  const vocabulary = new Set(docs.flatMap((d) => [...d]));
  return {
    // As if the hits were a tenth of a corpus: a term in every hit still weighs something.
    size: 10 * Math.max(docs.length, 1),
    df: (term) => docs.reduce((n, d) => n + (d.has(term) ? 1 : 0), 0),
    terms: () => vocabulary,
  };
}

export interface NearbyMoment {
  videoId: string;
  title: string;
  start: number;
  url: string;
  /** The question's words this video does speak to. */
  about: string[];
}

/** Videos that speak to a good part of the question without answering it. */
export function nearbyMoments(verdict: Verdict, max = 2): NearbyMoment[] {
  const { analysis, support, stats } = verdict;
  const out: NearbyMoment[] = [];
  for (const v of support.videos) {
    if (out.length >= max || v.score < 0.3) break;
    const about = analysis.subject.filter(
      (t) => (v.mentions.get(t.term) ?? 0) > 0 && termWeight(t.term, stats) >= 2,
    );
    if (about.length === 0) continue;
    out.push({
      videoId: v.videoId,
      title: v.title,
      start: v.start,
      url: deepLink(v.videoId, v.start),
      about: [...new Set(about.map((t) => t.surface))],
    });
  }
  return out;
}

/** "A", "A and B", "A, B and C". */
function list(items: readonly string[], joiner = 'and'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${joiner} ${items[items.length - 1]}`;
}

/** A name the corpus says in at most this many chunks is at most a passing mention there. */
export const UNCOVERED_MAX_CHUNKS = 5;

/**
 * The names the videos don't cover, as the question wrote them: the
 * corpus says them at most in passing, and no retrieved video supports them. A name the best video
 * lacks but others treat is covered, only not with the rest of the question ("the videos don't
 * cover Pydantic AI" would be false). A version bound to a name ("Claude 5 Opus") is named as before:
 * what is missing is that version, however often the name is said.
 */
export function uncoveredNames(verdict: Verdict): string[] {
  const { support, stats } = verdict;
  const unsupported = (t: SubjectTerm) => support.videos.every((v) => v.unmetEntities.includes(t));
  const uncovered = support.missing.filter(
    (t) => t.boundTo.length > 0 || (t.entity && stats.df(t.term) <= UNCOVERED_MAX_CHUNKS && unsupported(t)),
  );
  return [...new Set(uncovered.map((t) => t.surface))];
}

/**
 * The refusal: no citations (a refusal cites nothing), the names the videos lack when the question
 * gives them, and where the videos come closest, with links, when something close exists.
 */
export function refusalOutput(verdict: Verdict | null): AnswerOutput {
  if (!verdict || verdict.support.videos.length === 0)
    return { answer: REFUSAL_ANSWER, refused: true, citations: [] };
  const names = uncoveredNames(verdict);
  let answer = names.length > 0 ? `The videos don't cover ${list(names, 'or')}.` : REFUSAL_ANSWER;
  const nearby = nearbyMoments(verdict);
  if (nearby.length > 0) {
    const lines = nearby.map(
      (m) => `- “${m.title}” at ${formatTimestamp(m.start)} talks about ${list(m.about)}: ${m.url}`,
    );
    answer += `\n\nThe closest they come:\n${lines.join('\n')}`;
  }
  return { answer, refused: true, citations: [] };
}
