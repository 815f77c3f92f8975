/**
 * The baseline a JavaScript developer would build with LangChain.js: each transcript as one
 * document (one line per timed segment), `RecursiveCharacterTextSplitter` at 1,000 / 200
 * characters, `BM25Retriever` from @langchain/community, and the deep link at the chunk's first
 * second (the splitter's `loc.lines` says which segments a chunk holds). Loaded only through
 * langchain-baseline.ts (LangChain is an optional install: rag-app/optional/langchain).
 */
import { BM25Retriever } from '@langchain/community/retrievers/bm25';
import { Document } from '@langchain/core/documents';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { Transcript } from '../../src/types.ts';
import { type BaselineChunk, type LangchainBaseline, SPLITTER, toSpan } from './langchain-baseline.ts';
import type { RankedSpan } from './metrics.ts';

interface LineLocation {
  loc?: { lines?: { from?: number; to?: number } };
}

async function splitTranscripts(transcripts: readonly Transcript[]): Promise<BaselineChunk[]> {
  const splitter = new RecursiveCharacterTextSplitter(SPLITTER);
  const out: BaselineChunk[] = [];
  for (const t of transcripts) {
    if (t.segments.length === 0) continue;
    const text = t.segments.map((s) => s.text.replace(/\s*\n\s*/g, ' ')).join('\n');
    const docs = await splitter.createDocuments([text], [{ videoId: t.videoId }]);
    for (const doc of docs) {
      const lines = (doc.metadata as LineLocation).loc?.lines;
      // loc.lines is 1-based and inclusive; line L is segment L − 1.
      const first = t.segments[Math.max(0, (lines?.from ?? 1) - 1)]!;
      const last = t.segments[Math.min(t.segments.length, lines?.to ?? t.segments.length) - 1]!;
      out.push({ videoId: t.videoId, start: first.start, end: last.end, text: doc.pageContent });
    }
  }
  return out;
}

function langchainBm25(chunks: readonly BaselineChunk[], k: number) {
  const retriever = BM25Retriever.fromDocuments(
    chunks.map((c, i) => new Document({ pageContent: c.text, metadata: { chunk: i } })),
    { k },
  );
  return async (query: string): Promise<RankedSpan[]> => {
    const docs = await retriever.invoke(query);
    return docs.map((d) => toSpan(chunks[(d.metadata as { chunk: number }).chunk]!));
  };
}

export const baseline: LangchainBaseline = { splitTranscripts, langchainBm25 };
