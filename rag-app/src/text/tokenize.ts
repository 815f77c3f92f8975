import { stemmer } from 'stemmer';
import { STOPWORDS } from './stopwords.ts';

/**
 * Speech-recognition text is lower case and full of product names; keep digits and short
 * tokens like "n8n", "ai", "mcp" — they carry most of the meaning in this domain.
 */
const TOKEN = /[\p{L}\p{N}]+/gu;

const stemCache = new Map<string, string>();

export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = /\d/.test(word) ? word : stemmer(word);
    if (stemCache.size < 200_000) stemCache.set(word, s);
  }
  return s;
}

/** Lower-cased words, apostrophes folded ("don't" → "dont"), no stemming. */
export function words(text: string): string[] {
  return text.toLowerCase().replace(/['’]/g, '').match(TOKEN) ?? [];
}

/** Index terms: words minus stopwords, stemmed. The same function serves documents and queries. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (STOPWORDS.has(w)) continue;
    out.push(stem(w));
  }
  return out;
}

export function termFrequencies(tokens: readonly string[]): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}
