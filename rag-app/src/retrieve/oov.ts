/**
 * Speech recognition spells product names its own way ("superbase" for Supabase, "olama" for
 * Ollama, "fast api" for FastAPI), so a correctly spelled query term can be absent from the whole
 * corpus. Such a term is mapped onto the corpus's own spelling: the closest vocabulary term by edit
 * distance, or the two corpus words it splits into. Pure: the vocabulary comes in as a parameter.
 */
import { stem } from '../text/tokenize.ts';

export interface Vocabulary {
  /** Number of chunks holding the term (0 when absent). */
  df(term: string): number;
  terms(): Iterable<string>;
}

/** Weight of a replacement relative to a term the corpus spells the same way. */
export const OOV_WEIGHT = 0.8;

/** A term in at most this many chunks may be the rare joined spelling of two common words. */
export const RARE_DF = 2;
/** ...when both words are in at least this many times as many chunks. */
export const SPLIT_RATIO = 20;

/** Optimal-string-alignment distance, or `max + 1` as soon as it must exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** Edits allowed for a term of this length: none for short terms, where a miss is another word. */
function allowedEdits(length: number): number {
  if (length < 5) return 0;
  return length < 7 ? 1 : 2;
}

type Respelling = [term: string, weight: number][];

/**
 * Whether every term is in the corpus. Each df is read (no short cut): a lookup never asked is one
 * the SQL ranker never fetches.
 */
function allPresent(terms: readonly string[], vocab: Vocabulary): boolean {
  return terms.map((t) => vocab.df(t)).every((n) => n > 0);
}

const asParts = (parts: readonly string[]): Respelling => parts.map((p) => [p, OOV_WEIGHT / 2]);

/**
 * A digit in a name said as a word. Inside a name ("Crawl4AI": "crawl for AI" 127 times, one token
 * twice), the words either side; as its last character ("Mem0": "mem zero", "memzero"), the digit
 * spelled out, joined and as two words ("Context7", said "context 7", keeps its usual respelling).
 */
function digitSpellings(term: string, missing: boolean, vocab: Vocabulary): Respelling {
  const out: Respelling = [];
  const around = aroundDigit(term);
  if (around && allPresent(around, vocab)) out.push(...asParts(around));
  const spelled = missing ? spelledOut(term) : null;
  if (spelled) {
    const joined = stem(spelled.join(''));
    if (vocab.df(joined) > 0) out.push([joined, OOV_WEIGHT]);
    const parts = spelled.map(stem);
    if (allPresent(parts, vocab)) out.push(...asParts(parts));
  }
  return out;
}

/**
 * A joined spelling the transcripts hardly use for what they say as two words ("webhook" in 1
 * chunk, "web hook" in a hundred): the two words. The term keeps its own weight.
 */
function rareSplit(term: string, df: number, vocab: Vocabulary): Respelling {
  const split = splitInTwo(term, vocab);
  return split && Math.min(vocab.df(split[0]), vocab.df(split[1])) >= SPLIT_RATIO * df ? asParts(split) : [];
}

/** A term the corpus never has: its closest spelling, or the two words it splits into. */
function corpusSpelling(term: string, vocab: Vocabulary): Respelling {
  // One edit is a misspelling; a split ("fast api") beats a two-edit guess.
  const near = nearest(term, vocab);
  const split = near?.distance === 1 ? null : splitInTwo(term, vocab);
  if (split) return asParts(split);
  return near ? [[near.term, OOV_WEIGHT]] : [];
}

/**
 * Replacement terms (with weights) for the query terms the corpus never contains or hardly does:
 * the corpus's own spelling, the two words of a rare joined spelling, a digit said as a word.
 * Terms the corpus has often enough, and terms with no close spelling, are left out.
 */
export function respell(queryTerms: Iterable<string>, vocab: Vocabulary): Map<string, number> {
  const out = new Map<string, number>();
  for (const term of queryTerms) {
    const df = vocab.df(term);
    if (/^\d+$/.test(term) || df > RARE_DF) continue;
    const found = [
      ...digitSpellings(term, df === 0, vocab),
      ...(df > 0 ? rareSplit(term, df, vocab) : corpusSpelling(term, vocab)),
    ];
    for (const [t, w] of found) out.set(t, Math.max(out.get(t) ?? 0, w));
  }
  return out;
}

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** A name ending in one digit, that digit spelled out: "mem0" → ["mem", "zero"]; else null. */
export function spelledOut(term: string): [string, string] | null {
  const m = /^([a-z]{2,})(\d)$/.exec(term);
  return m ? [m[1]!, DIGIT_WORDS[Number(m[2])]!] : null;
}

/** The words on either side of one digit inside a name: "crawl4ai" → ["crawl", "ai"]; else null. */
export function aroundDigit(term: string): [string, string] | null {
  const m = /^([a-z]{2,})\d([a-z]{2,})$/.exec(term);
  return m ? [stem(m[1]!), stem(m[2]!)] : null;
}

/** "mem0" → "memzero" (the joined-pair rule matches it where the transcript says "mem zero"). */
export function spelledDigit(term: string): string | null {
  return spelledOut(term)?.join('') ?? null;
}

/** "fastapi" → ["fast", "api"], "mem0" → ["mem", "0"] when the corpus has both (stemmed) parts. */
function splitInTwo(term: string, vocab: Vocabulary): [string, string] | null {
  let best: [string, string] | null = null;
  let bestDf = 0;
  const part = (s: string) => (/^\d+$/.test(s) || s.length >= 3 ? stem(s) : null);
  for (let i = 1; i < term.length; i++) {
    const left = part(term.slice(0, i));
    const right = part(term.slice(i));
    if (!left || !right) continue;
    const df = Math.min(vocab.df(left), vocab.df(right));
    if (df > bestDf) {
      best = [left, right];
      bestDf = df;
    }
  }
  return best;
}

/**
 * The closest vocabulary term that starts with the same letter (speech recognition keeps the first
 * sound: "superbase", "olama", "graffiti"). One edit wins over two unless the two-edit spelling is
 * far more common in the corpus (a one-off typo of the usual misspelling).
 */
function nearest(term: string, vocab: Vocabulary): { term: string; distance: number } | null {
  const max = allowedEdits(term.length);
  if (max === 0) return null;
  const best: ({ term: string; df: number } | null)[] = [null, null, null];
  for (const candidate of vocab.terms()) {
    if (candidate[0] !== term[0]) continue;
    const d = editDistance(term, candidate, max);
    if (d > max) continue;
    const df = vocab.df(candidate);
    const current = best[d];
    if (!current || df > current.df || (df === current.df && candidate < current.term))
      best[d] = { term: candidate, df };
  }
  const one = best[1];
  const two = best[2];
  if (one && (!two || two.df <= 10 * one.df)) return { term: one.term, distance: 1 };
  if (two) return { term: two.term, distance: 2 };
  return null;
}
