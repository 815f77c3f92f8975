import type { Citation } from '@dark-factory/rag-app';
import type { Gold } from '../dataset.ts';
import { coversMoment, goldMoments, MOMENT_TOLERANCE_S } from './retrieval.ts';

/** Crude plural stemming, applied to facts and answers alike: consistency matters, not linguistics. */
export function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(ss|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** Lower-case, punctuation stripped, plural-stemmed tokens. */
export function normaliseTokens(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map(stem);
}

function containsSequence(haystack: string[], needle: string[]): boolean {
  if (!needle.length) return false;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** A fact is present when any of its `|`-separated alternatives appears as a whole-word phrase. */
export function factPresent(fact: string, answerTokens: string[]): boolean {
  return fact.split('|').some((alt) => containsSequence(answerTokens, normaliseTokens(alt)));
}

/** Share of reference facts found in the answer; a refusal finds none. */
export function factRecall(facts: string[], answer: string, refused: boolean): number {
  if (!facts.length) return 0;
  if (refused) return 0;
  const tokens = normaliseTokens(answer);
  return facts.filter((f) => factPresent(f, tokens)).length / facts.length;
}

/**
 * Share of the answer's citations that cover a gold moment (span overlaps gold second ± 30 s; a
 * gold entry without a second accepts any citation of its video). No citations scores 0.
 */
export function citationMomentAccuracy(
  gold: Gold[],
  citations: Pick<Citation, 'videoId' | 'start' | 'end'>[],
  tol = MOMENT_TOLERANCE_S,
): number {
  if (!citations.length) return 0;
  const moments = goldMoments(gold);
  const wholeVideos = new Set(gold.filter((g) => g.t === null).map((g) => g.videoId));
  const good = citations.filter(
    (c) => wholeVideos.has(c.videoId) || moments.some((m) => coversMoment(c, m, tol)),
  ).length;
  return good / citations.length;
}

/**
 * Share of the answer's citations on evidence: on a moment that states part of the answer (the
 * exhaustive `support` reading or the key `gold` moments, ± 30 s). No citations scores 0.
 */
export function citationSupport(
  gold: readonly Gold[],
  support: readonly Gold[],
  citations: Pick<Citation, 'videoId' | 'start' | 'end'>[],
  tol = MOMENT_TOLERANCE_S,
): number {
  return citationMomentAccuracy([...gold, ...support], citations, tol);
}

export interface AnswerInput {
  answer: string;
  refused: boolean;
  citations: Pick<Citation, 'videoId' | 'start' | 'end'>[];
}

/** Per-case answer scores; each present only when the case can be judged on it. */
export function answerScores(
  c: { gold?: Gold[] | undefined; support?: Gold[] | undefined; facts?: string[] | undefined },
  expectRefusal: boolean | undefined,
  result: AnswerInput,
): Record<string, number> {
  const scores: Record<string, number> = {};
  if (expectRefusal !== undefined) scores.refusalAccuracy = result.refused === expectRefusal ? 1 : 0;
  if (c.gold?.length && expectRefusal !== true) {
    scores.citationMomentAccuracy = citationMomentAccuracy(c.gold, result.refused ? [] : result.citations);
  }
  if (c.support?.length && expectRefusal !== true) {
    scores.citationSupport = citationSupport(c.gold ?? [], c.support, result.refused ? [] : result.citations);
  }
  if (c.facts?.length && expectRefusal !== true)
    scores.factRecall = factRecall(c.facts, result.answer, result.refused);
  return scores;
}
