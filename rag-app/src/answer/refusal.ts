/**
 * Deciding whether the retrieved passages are evidence enough to answer at all. Pure functions: the
 * question and the hits in, a number out, so the threshold can be measured offline
 * (rag-app/scripts/tune-refusal.ts).
 */
import type { SearchHit } from '../types.ts';
import { contentTerms, idfWeights, questionTerms } from './terms.ts';

/** What a refusal says. */
export const REFUSAL_ANSWER = "The videos don't cover this.";

/**
 * Answer only when evidenceStrength(question, hits) reaches this.
 * PROVISIONAL: a best guess from a lexical-only (BM25) proxy of retrieval over the corpus; to be
 * re-measured with real hybrid retrieval via `pnpm --filter @dark-factory/rag-app exec tsx
 * scripts/tune-refusal.ts` on /work/shared/evals/answerability.dev.jsonl (30 answerable, 10 not).
 */
export const REFUSAL_THRESHOLD = 0.6;

export interface EvidenceFeatures {
  /** Distinct content terms of the question (after stopwords, frame words and stemming). */
  terms: string[];
  /** IDF-weighted share of the question's terms found anywhere in the hits. */
  coverage: number;
  /** IDF-weighted share of the question's terms found together in the single best hit. */
  bestHitCoverage: number;
  /** Terms no hit contains. */
  missing: string[];
}

export function evidenceFeatures(question: string, hits: readonly SearchHit[]): EvidenceFeatures {
  const terms = questionTerms(question);
  if (terms.length === 0 || hits.length === 0) {
    return { terms, coverage: 0, bestHitCoverage: 0, missing: terms };
  }
  const docs = hits.map((h) => new Set(contentTerms(h.text)));
  const weights = idfWeights(terms, docs);
  let total = 0;
  for (const t of terms) total += weights.get(t)!;
  const share = (has: (t: string) => boolean) => {
    let sum = 0;
    for (const t of terms) if (has(t)) sum += weights.get(t)!;
    return sum / total;
  };
  const missing = terms.filter((t) => !docs.some((d) => d.has(t)));
  const coverage = share((t) => !missing.includes(t));
  let bestHitCoverage = 0;
  for (const doc of docs)
    bestHitCoverage = Math.max(
      bestHitCoverage,
      share((t) => doc.has(t)),
    );
  return { terms, coverage, bestHitCoverage, missing };
}

/**
 * How well the hits support an answer, in [0, 1]: the share of the question's content terms the
 * passages contain, weighted so that a term absent from every hit costs the most.
 */
export function evidenceStrength(question: string, hits: readonly SearchHit[]): number {
  const f = evidenceFeatures(question, hits);
  return 0.5 * f.coverage + 0.5 * f.bestHitCoverage;
}

export function shouldRefuse(strength: number, threshold: number = REFUSAL_THRESHOLD): boolean {
  return !(strength >= threshold);
}
