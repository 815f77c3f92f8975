import type { Citation, SearchHit } from '../types.ts';
import type { Verdict } from './decide.ts';

export interface AnswerOptions {
  /** Receives the answer text piece by piece; the pieces concatenate to `answer`. */
  onToken?: (text: string) => void;
  signal?: AbortSignal;
  /** The caller's answer-or-refuse decision on these hits (with corpus statistics), when it made one. */
  verdict?: Verdict;
  /**
   * The transcript of `videoId` said from second `from` on, for `seconds`, as a passage; null when
   * the video has nothing there. Lets an answer read on where a retrieved passage stops mid-thought.
   */
  readOn?: (videoId: string, from: number, seconds: number) => Promise<SearchHit | null>;
}

/** An answer before timings (the caller measures those). */
export interface AnswerOutput {
  /** Text whose `[n]` markers point at `citations[n - 1]`. */
  answer: string;
  refused: boolean;
  citations: Citation[];
  usage?: { inputTokens: number; outputTokens: number; model: string } | undefined;
}

/** Turns a question and its ranked evidence into a cited answer, or a refusal. */
export interface Answerer {
  readonly name: string;
  answer(question: string, hits: SearchHit[], opts?: AnswerOptions): Promise<AnswerOutput>;
}
