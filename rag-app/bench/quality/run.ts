/** The quality section end to end: ours ingested into a fresh in-memory PGlite store, then the suite. */

import path from 'node:path';
import type { Config } from '../../src/config.ts';
import { corpusSource } from '../../src/ingest/sources.ts';
import { openRag } from '../../src/open.ts';
import { openPglite } from '../../src/store/db.ts';
import { readCases } from './cases.ts';
import { ensureLangchain, loadLangchainBaseline } from './langchain-baseline.ts';
import { benchQuality, type QualityFigures, readTranscripts } from './suite.ts';

export async function runQuality(
  corpusDir: string,
  datasetFiles: readonly string[],
  config: Config,
  say: (phase: string) => void,
): Promise<QualityFigures> {
  ensureLangchain(say);
  const baseline = await loadLangchainBaseline();
  const datasets = [];
  for (const file of datasetFiles) {
    datasets.push({ name: path.basename(file, '.jsonl'), cases: await readCases(file) });
  }
  const transcripts = await readTranscripts(corpusDir);
  const rag = await openRag(config, { db: await openPglite(), embedder: null });
  try {
    say(`quality: ingesting ${corpusDir} for ours (in-memory PGlite, BM25 only)`);
    const summary = await rag.ingest(corpusSource(corpusDir));
    return await benchQuality({
      transcripts,
      datasets,
      rag,
      ourChunks: summary.chunks,
      baseline,
      onPhase: say,
    });
  } finally {
    await rag.close();
  }
}
