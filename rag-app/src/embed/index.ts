import type { Config } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { Embedder } from './embedder.ts';
import { LsaEmbedder } from './lsa-embedder.ts';
import { OpenAiEmbedder } from './openai.ts';
import { TransformersEmbedder } from './transformers.ts';

export type { Embedder } from './embedder.ts';
export { EmbeddingError, OpenAiEmbedder, type OpenAiEmbedderOptions } from './openai.ts';
export { TransformersEmbedder, type TransformersEmbedderOptions } from './transformers.ts';

/** Picks the embedder named by EMBEDDER. */
export async function createEmbedder(config: Config, db: Db): Promise<Embedder | null> {
  switch (config.EMBEDDER) {
    case 'none':
      return null;
    case 'lsa': {
      const lsa = new LsaEmbedder();
      await lsa.load(db);
      return lsa;
    }
    case 'openai': {
      if (!config.EMBEDDINGS_API_KEY && new URL(config.EMBEDDINGS_BASE_URL).hostname === 'api.openai.com') {
        throw new ConfigError(
          'EMBEDDER=openai needs EMBEDDINGS_API_KEY for api.openai.com (or set EMBEDDINGS_BASE_URL to a local OpenAI-compatible server such as Ollama)',
          { EMBEDDINGS_BASE_URL: config.EMBEDDINGS_BASE_URL },
        );
      }
      return new OpenAiEmbedder({
        baseUrl: config.EMBEDDINGS_BASE_URL,
        apiKey: config.EMBEDDINGS_API_KEY,
        model: config.EMBEDDINGS_MODEL,
        batchSize: config.EMBEDDINGS_BATCH,
        db,
      });
    }
    case 'transformers':
      // Checks the directory now; the model itself loads on first use.
      return new TransformersEmbedder({ modelDir: config.EMBEDDER_MODEL_DIR ?? '', db });
  }
}
