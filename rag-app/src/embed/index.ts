import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { Embedder } from './embedder.ts';
import { LsaEmbedder } from './lsa-embedder.ts';

export type { Embedder } from './embedder.ts';

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
  }
}
