import { questionTerms } from '../text/tokenize.ts';
import type { Bm25Index } from './bm25-index.ts';

/**
 * Below this share of known subject terms the question is about things no video ever mentions, so
 * `ask` refuses before answering. Measured on answerability.dev.jsonl: every answerable question
 * scores ≥ 0.88, the COBOL/mainframe refusal 0.6 (see README "Tuning").
 */
export const MIN_KNOWN_SHARE = 0.75;

export interface CorpusCoverage {
  /** The question's subject terms (stemmed), frame words removed. */
  terms: string[];
  /** Terms that occur in no chunk of the corpus. */
  unknown: string[];
  /** Share of `terms` the corpus contains (1 when the question has no subject terms). */
  knownShare: number;
}

export function corpusCoverage(index: Bm25Index, question: string): CorpusCoverage {
  const subject = questionTerms(question);
  const unknown = subject.filter((t) => index.idf(t) === 0);
  return { terms: subject, unknown, knownShare: subject.length ? 1 - unknown.length / subject.length : 1 };
}
