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
 * Answer only when evidenceStrength(question, hits) reaches this. Measured with
 * `tsx scripts/tune-refusal.ts` on answerability.dev.jsonl (30 answerable, 10 refusal questions)
 * over the whole corpus with the default retrieval (BM25 only: LSA fusion measured worse, see
 * README "Tuning"), k = 8 as `ask` uses: accuracy 77.5% on the plateau 0.125-0.225 (every answerable
 * question answered, 1 of 10 refusals refused); 0.175 is its middle. With the LSA vector side the
 * blend reached 90% at 0.275. Lexical coverage alone separates the classes poorly: the refusal
 * questions pair an absent subject with words the channel uses all the time.
 * Re-measure after changing retrieval, the embedder or the strength formula.
 */
export const REFUSAL_THRESHOLD = 0.175;

/**
 * How the strength blends its two signals. The vector part maps the best hit's similarity from
 * [vectorFloor, vectorCeiling] onto [0, 1]; that range fits the default LSA embedder's cosines
 * (about 0.3 for off-topic to 0.7 for on-topic questions), so re-measure when EMBEDDER changes.
 */
export const STRENGTH_BLEND = { vectorWeight: 0.3, vectorFloor: 0.3, vectorCeiling: 0.7 } as const;

export interface EvidenceFeatures {
  /** Distinct content terms of the question (after stopwords, frame words and stemming). */
  terms: string[];
  /** IDF-weighted share of the question's terms found anywhere in the hits. */
  coverage: number;
  /** IDF-weighted share of the question's terms found together in the single best hit. */
  bestHitCoverage: number;
  /** Terms no hit contains. */
  missing: string[];
  /** Highest vector similarity among the hits; null when retrieval had no vector side. */
  vectorMax: number | null;
}

export function evidenceFeatures(question: string, hits: readonly SearchHit[]): EvidenceFeatures {
  const terms = questionTerms(question);
  const vectors = hits.map((h) => h.scores.vector).filter((v): v is number => typeof v === 'number');
  const vectorMax = vectors.length > 0 ? Math.max(...vectors) : null;
  if (terms.length === 0 || hits.length === 0) {
    return { terms, coverage: 0, bestHitCoverage: 0, missing: terms, vectorMax };
  }
  const docs = hits.map((h) => new Set(contentTerms(h.text)));
  // IDF over the hits: a term no hit holds weighs most, one every hit holds still counts a little.
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
  return { terms, coverage, bestHitCoverage, missing, vectorMax };
}

/** The lexical part of the strength: half spread-out coverage, half coverage in one passage. */
export function lexicalStrength(f: EvidenceFeatures): number {
  return 0.5 * f.coverage + 0.5 * f.bestHitCoverage;
}

/**
 * How well the hits support an answer, in [0, 1]: mostly the share of the question's content terms
 * the passages contain (a term absent from every hit costs the most), blended with how close the
 * best passage is in embedding space when retrieval reports it.
 */
export function evidenceStrength(question: string, hits: readonly SearchHit[]): number {
  if (hits.length === 0) return 0;
  const f = evidenceFeatures(question, hits);
  const lexical = lexicalStrength(f);
  if (f.vectorMax === null) return lexical;
  const { vectorWeight, vectorFloor, vectorCeiling } = STRENGTH_BLEND;
  const vector = Math.min(1, Math.max(0, (f.vectorMax - vectorFloor) / (vectorCeiling - vectorFloor)));
  return (1 - vectorWeight) * lexical + vectorWeight * vector;
}

export function shouldRefuse(strength: number, threshold: number = REFUSAL_THRESHOLD): boolean {
  return !(strength >= threshold);
}

export interface LabelledStrength {
  /** True when the question should be answered. */
  answerable: boolean;
  strength: number;
}

export interface ThresholdResult {
  threshold: number;
  accuracy: number;
  /** Answerable questions answered / all answerable. */
  answeredRate: number;
  /** Refusal questions refused / all refusal questions. */
  refusedRate: number;
}

/** Accuracy of the refusal decision at each candidate threshold, for measuring REFUSAL_THRESHOLD. */
export function thresholdSweep(
  cases: readonly LabelledStrength[],
  candidates: readonly number[],
): ThresholdResult[] {
  const answerable = cases.filter((c) => c.answerable);
  const refusal = cases.filter((c) => !c.answerable);
  const rate = (n: number, d: number) => (d === 0 ? 1 : n / d);
  return candidates.map((threshold) => {
    const answered = answerable.filter((c) => !shouldRefuse(c.strength, threshold)).length;
    const refused = refusal.filter((c) => shouldRefuse(c.strength, threshold)).length;
    return {
      threshold,
      accuracy: rate(answered + refused, cases.length),
      answeredRate: rate(answered, answerable.length),
      refusedRate: rate(refused, refusal.length),
    };
  });
}

/**
 * The best threshold of a sweep: highest accuracy, ties broken towards the middle of the tied run
 * (the widest margin on both sides) rather than its edge.
 */
export function bestThreshold(results: readonly ThresholdResult[]): ThresholdResult | null {
  if (results.length === 0) return null;
  const top = Math.max(...results.map((r) => r.accuracy));
  let best: ThresholdResult[] = [];
  let run: ThresholdResult[] = [];
  for (const r of results) {
    if (r.accuracy === top) run.push(r);
    else run = [];
    if (run.length > best.length) best = [...run];
  }
  return best[Math.floor((best.length - 1) / 2)]!;
}
