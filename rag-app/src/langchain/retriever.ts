import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import type { Rag } from '../rag.ts';
import type { SearchHit, SearchOptions } from '../types.ts';

/** What every retrieved document carries: where in which video, and the link that opens it there. */
export interface MomentMetadata {
  videoId: string;
  title: string;
  published: string | null;
  /** The passage's span in the video, seconds. */
  start: number;
  end: number;
  /** The second the matching passage starts: where `url` opens the video. */
  citeStart: number;
  /** Deep link, https://youtu.be/ID?t=citeStart */
  url: string;
  score: number;
}

export interface RagRetrieverInput extends BaseRetrieverInput {
  /** An open app (`openRag`), or anything with its `search`. */
  rag: Pick<Rag, 'search'>;
  /** Documents per query (default 10, at most 50). */
  k?: number;
  /** Restrict every search to one video or a date range. */
  filter?: Omit<SearchOptions, 'k'>;
}

export function hitToDocument(hit: SearchHit): Document<MomentMetadata> {
  return new Document<MomentMetadata>({
    id: `${hit.videoId}@${hit.start}`,
    pageContent: hit.text,
    metadata: {
      videoId: hit.videoId,
      title: hit.title,
      published: hit.published,
      start: hit.start,
      end: hit.end,
      citeStart: hit.citeStart,
      url: hit.url,
      score: hit.score,
    },
  });
}

/**
 * rag-app's retrieval (BM25, optional vectors, diversity, cite-narrow deep links) as a LangChain
 * retriever: use it wherever a chain takes one, e.g. `retriever.pipe(formatDocs)`.
 */
export class RagRetriever extends BaseRetriever<MomentMetadata> {
  static override lc_name() {
    return 'RagRetriever';
  }

  override lc_namespace = ['dark_factory', 'rag_app', 'retrievers'];

  private readonly rag: Pick<Rag, 'search'>;
  readonly k: number;
  readonly filter: Omit<SearchOptions, 'k'>;

  constructor(fields: RagRetrieverInput) {
    super(fields);
    this.rag = fields.rag;
    this.k = fields.k ?? 10;
    this.filter = fields.filter ?? {};
  }

  override async _getRelevantDocuments(
    query: string,
    _runManager?: CallbackManagerForRetrieverRun,
  ): Promise<Document<MomentMetadata>[]> {
    const hits = await this.rag.search(query, { ...this.filter, k: this.k });
    return hits.map(hitToDocument);
  }
}
