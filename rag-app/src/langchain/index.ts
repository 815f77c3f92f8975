/**
 * `@dark-factory/rag-app/langchain`: rag-app for LangChain.js users. Needs `@langchain/core`
 * (an optional peer dependency of rag-app: the app itself never imports this entry point).
 */
export {
  TranscriptLoader,
  type TranscriptLoaderInput,
  type TranscriptMetadata,
  type TranscriptSplit,
} from './loader.ts';
export { hitToDocument, type MomentMetadata, RagRetriever, type RagRetrieverInput } from './retriever.ts';
