import { errorMessage } from '@dark-factory/kit';
import type { AskResult, SearchHit } from '@dark-factory/rag-app';
import type { Logger } from 'pino';
import type { RagClient } from './client.ts';
import { callFor, expectedRefusal, type LoadedCase } from './dataset.ts';
import type { Judge } from './judge.ts';
import { answerScores } from './metrics/answer.ts';
import { RETRIEVAL_K, retrievalScores } from './metrics/retrieval.ts';
import type { CaseResult } from './summary.ts';

export type Outcome =
  | { call: 'search'; hits: SearchHit[]; latencyMs: number; error?: string }
  | { call: 'ask'; result: AskResult; latencyMs: number; error?: string };

const ANSWER_KEEP_CHARS = 2000;

/** Whether a case "passes" as a whole: what the gate's pass → fail list is about. */
export function casePasses(call: 'search' | 'ask', scores: Record<string, number>): boolean {
  if (call === 'search') return (scores.hitAt5Moment ?? scores.hitAt5Video) === 1;
  return scores.refusalAccuracy === 1 && (scores.factRecall === undefined || scores.factRecall >= 0.5);
}

/** Scores one case from what the system returned. Pure. */
const ms = (v: number) => Math.round(v * 10) / 10;

export function scoreCase(c: LoadedCase, outcome: Outcome): CaseResult {
  const base = { id: c.id, kind: c.kind, dataset: c.dataset, query: c.query, call: outcome.call };
  const error = outcome.error ? { error: outcome.error } : {};
  if (outcome.call === 'search') {
    const hits = outcome.hits.slice(0, RETRIEVAL_K);
    const scores = retrievalScores(c.gold ?? [], hits);
    return {
      ...base,
      pass: casePasses('search', scores),
      scores,
      latencyMs: ms(outcome.latencyMs),
      retrieveMs: ms(outcome.latencyMs),
      top: hits.map((h) => ({ videoId: h.videoId, start: h.start, end: h.end, citeStart: h.citeStart })),
      ...error,
    };
  }
  const r = outcome.result;
  const expectRefusal = expectedRefusal(c);
  const scores = answerScores(c, expectRefusal, r);
  return {
    ...base,
    pass: casePasses('ask', scores),
    scores,
    expectRefusal,
    refused: r.refused,
    latencyMs: ms(outcome.latencyMs),
    retrieveMs: ms(r.timings?.retrieveMs ?? outcome.latencyMs),
    answerMs: r.timings?.answerMs,
    usage: r.usage ?? undefined,
    answer: r.answer.length > ANSWER_KEEP_CHARS ? `${r.answer.slice(0, ANSWER_KEEP_CHARS)}…` : r.answer,
    citations: r.citations.map((x) => ({ videoId: x.videoId, start: x.start, end: x.end })),
    ...error,
  };
}

const EMPTY_ANSWER: AskResult = {
  answer: '',
  refused: false,
  citations: [],
  timings: { retrieveMs: 0, answerMs: 0 },
};

/** Where a run says which case or judgement failed (the CLI's: pino on the context's stderr). */
export type RunLogger = Pick<Logger, 'warn'>;

const SILENT: RunLogger = { warn: () => undefined };

export interface RunOptions {
  client: RagClient;
  /** Default: silent (a failed case is still recorded in its result's `error`). */
  logger?: RunLogger | undefined;
  concurrency?: number;
  /** Results per search (default 10). */
  k?: number;
  /** Passages per answer; default: the app's own. */
  askK?: number;
  judge?: Judge | undefined;
  /** Run one untimed search before the cases (default true). */
  warmup?: boolean;
  /** Called after each case. */
  onCase?: (done: number, total: number, result: CaseResult) => void;
  now?: () => number;
}

/** Runs one case; a failing call is recorded as an error and scored as a miss, never NaN. */
async function runCase(
  c: LoadedCase,
  opts: Required<Pick<RunOptions, 'client' | 'k' | 'now'>> & Pick<RunOptions, 'askK'> & { logger: RunLogger },
): Promise<Outcome> {
  const started = opts.now();
  const call = callFor(c);
  try {
    if (call === 'search') {
      const hits = await opts.client.search(c.query, { k: opts.k });
      return { call, hits: Array.isArray(hits) ? hits : [], latencyMs: opts.now() - started };
    }
    // Answers are judged as users get them: with the app's own retrieval depth unless one is given.
    const result = await opts.client.ask(c.query, opts.askK === undefined ? {} : { k: opts.askK });
    return { call, result, latencyMs: opts.now() - started };
  } catch (err) {
    const latencyMs = opts.now() - started;
    const error = errorMessage(err);
    opts.logger.warn({ id: c.id, err: error }, 'case failed');
    return call === 'search'
      ? { call, hits: [], latencyMs, error }
      : { call, result: EMPTY_ANSWER, latencyMs, error };
  }
}

async function judgeCase(
  judge: Judge,
  logger: RunLogger,
  c: LoadedCase,
  outcome: Outcome,
  result: CaseResult,
): Promise<void> {
  if (outcome.call !== 'ask' || outcome.error || outcome.result.refused) return;
  if (!outcome.result.citations.length) {
    // Nothing cited can support the answer.
    result.scores.faithfulness = 0;
    return;
  }
  try {
    const v = await judge.judge({
      question: c.query,
      answer: outcome.result.answer,
      citations: outcome.result.citations,
    });
    result.scores.faithfulness = v.faithful;
    result.judge = v;
  } catch (err) {
    logger.warn({ id: c.id, err: errorMessage(err) }, 'judge failed; case not judged');
  }
}

/** Runs every case against the client with bounded concurrency; results keep the input order. */
export async function runCases(cases: LoadedCase[], options: RunOptions): Promise<CaseResult[]> {
  const opts = {
    client: options.client,
    k: options.k ?? RETRIEVAL_K,
    now: options.now ?? (() => performance.now()),
    logger: options.logger ?? SILENT,
  };
  if (options.warmup !== false && cases.length) {
    // One untimed search first, so lazy start-up (models, connections) is not billed to the first cases.
    await opts.client.search(cases[0]!.query, { k: opts.k }).catch(() => undefined);
  }
  const results = new Array<CaseResult>(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const c = cases[i];
      if (!c) return;
      const outcome = await runCase(c, opts);
      const result = scoreCase(c, outcome);
      if (options.judge) await judgeCase(options.judge, opts.logger, c, outcome, result);
      results[i] = result;
      done += 1;
      options.onCase?.(done, cases.length, result);
    }
  };
  const n = Math.max(1, Math.min(options.concurrency ?? 4, cases.length || 1));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}
