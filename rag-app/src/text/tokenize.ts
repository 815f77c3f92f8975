import { stemmer } from 'stemmer';
import { STOPWORDS } from './stopwords.ts';

/**
 * The one tokenizer of the app: the BM25 index, localisation, refusal and the extractive answerer
 * all see the same terms. Speech-recognition text is lower case and full of product names; keep
 * digits, short tokens like "n8n", "ai", "mcp", and version numbers like "5.3" whole.
 * Bump TOKENIZER_VERSION whenever the output changes: it is part of each video's content hash, so
 * the next ingest re-indexes every video.
 */
export const TOKENIZER_VERSION = 2;

const stemCache = new Map<string, string>();

export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = /\d/.test(word) ? word : stemmer(word);
    if (stemCache.size < 200_000) stemCache.set(word, s);
  }
  return s;
}

/** Lower-cased words: "cole's" → "cole", "don't" → "dont", "GPT-5.3" → "gpt", "5.3". */
export function words(text: string): string[] {
  const normalised = text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/'s\b/g, '')
    .replace(/'/g, '');
  const out: string[] = [];
  for (const raw of normalised.split(/[^\p{L}\p{N}.]+/u)) {
    const token = raw.replace(/^\.+|\.+$/g, '');
    if (!token) continue;
    // A dot inside a word is sentence punctuation glued by the transcript ("agents.the"): split it.
    if (token.includes('.') && !/^\d+(\.\d+)+$/.test(token)) {
      for (const part of token.split('.')) if (part) out.push(part);
    } else {
      out.push(token);
    }
  }
  return out;
}

/** Index terms: words minus stopwords and single letters, stemmed (Porter). */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (STOPWORDS.has(w)) continue;
    // Single letters carry nothing; single digits can ("Claude 5").
    if (w.length < 2 && !/\d/.test(w)) continue;
    out.push(stem(w));
  }
  return out;
}

// Words that frame a question about the channel rather than name its subject: every question is
// "what did Cole say about X", so these are no evidence for X.
const QUESTION_FRAME = new Set(
  terms(`cole coles medin say said says tell talk talks talked mention mentions mentioned recommend
  recommends recommended describe describes explain explains video videos channel think thinks
  opinion stance view according cover covered approach best guide`),
);

/** The distinct subject terms of a question: its terms minus the words that only frame it. */
export function questionTerms(question: string): string[] {
  return [...new Set(terms(question).filter((t) => !QUESTION_FRAME.has(t)))];
}

export function termFrequencies(tokens: readonly string[]): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}
