/**
 * Quality side by side, in one run: the LangChain.js pipeline, a plain BM25 over the same chunks,
 * and ours (`rag.search`), on the same datasets, scored the same way.
 */
import { corpusSource } from '../../src/ingest/sources.ts';
import type { Rag } from '../../src/rag.ts';
import type { Transcript } from '../../src/types.ts';
import { type Latency, runLoad, summarize } from '../measure.ts';
import type { QualityCase } from './cases.ts';
import { type BaselineChunk, type LangchainBaseline, toSpan } from './langchain-baseline.ts';
import { K, meanScores, type RankedSpan, type Scores, scoreCase } from './metrics.ts';
import { PlainBm25 } from './plain-bm25.ts';

export const SYSTEMS = ['langchain', 'plainBm25', 'ours'] as const;
export type System = (typeof SYSTEMS)[number];

export const SYSTEM_LABELS: Record<System, string> = {
  langchain: 'LangChain.js (splitter 1000/200 + BM25Retriever)',
  plainBm25: 'plain BM25 on the same chunks',
  ours: 'ours (rag.search)',
};

export interface QualityDataset {
  name: string;
  cases: readonly QualityCase[];
}

export interface SystemRun {
  system: System;
  dataset: string;
  cases: number;
  scores: Scores;
  latency: Latency;
}

export interface QualityFigures {
  chunks: Record<System, number>;
  runs: SystemRun[];
}

/** Every readable transcript of a corpus directory, parsed by the app's corpus parser. */
export async function readTranscripts(corpusDir: string): Promise<Transcript[]> {
  const out: Transcript[] = [];
  for await (const item of corpusSource(corpusDir)) if (item.ok) out.push(item.transcript);
  return out;
}

type Retrieve = (query: string) => Promise<RankedSpan[]>;

async function runSystem(system: System, dataset: QualityDataset, retrieve: Retrieve): Promise<SystemRun> {
  const perCase: Scores[] = [];
  const run = await runLoad(dataset.cases.length, 1, async (i) => {
    const c = dataset.cases[i]!;
    perCase[i] = scoreCase(c, await retrieve(c.query));
  });
  if (run.errors) throw new Error(`${system} failed on ${dataset.name}: ${run.firstError}`);
  return {
    system,
    dataset: dataset.name,
    cases: dataset.cases.length,
    scores: meanScores(perCase),
    latency: summarize(run.samplesMs),
  };
}

export interface QualityPlan {
  transcripts: readonly Transcript[];
  datasets: readonly QualityDataset[];
  /** Ours, with the same transcripts ingested. */
  rag: Rag;
  /** Chunks in ours' store. */
  ourChunks: number;
  /** The LangChain pipeline (loadLangchainBaseline: LangChain is an optional install). */
  baseline: LangchainBaseline;
  onPhase?: (phase: string) => void;
}

export async function benchQuality(plan: QualityPlan): Promise<QualityFigures> {
  const say = plan.onPhase ?? (() => {});
  say('quality: splitting transcripts with RecursiveCharacterTextSplitter 1000/200');
  const chunks: BaselineChunk[] = await plan.baseline.splitTranscripts(plan.transcripts);
  const langchain = plan.baseline.langchainBm25(chunks, K);
  const plain = new PlainBm25(chunks.map((c) => c.text));
  const retrievers: Record<System, Retrieve> = {
    langchain,
    plainBm25: async (q) => plain.search(q, K).map((h) => toSpan(chunks[h.doc]!)),
    ours: async (q) =>
      (await plan.rag.search(q, { k: K })).map((h) => ({
        videoId: h.videoId,
        start: h.start,
        end: h.end,
        linkSecond: h.citeStart,
      })),
  };
  const runs: SystemRun[] = [];
  for (const dataset of plan.datasets) {
    for (const system of SYSTEMS) {
      say(`quality: ${system} on ${dataset.name} (${dataset.cases.length} cases)`);
      runs.push(await runSystem(system, dataset, retrievers[system]));
    }
  }
  return {
    chunks: { langchain: chunks.length, plainBm25: chunks.length, ours: plan.ourChunks },
    runs,
  };
}
