/**
 * Term handling shared by the extractive answerer and the refusal gate: tokenising, stopwords, a
 * small suffix stemmer and IDF-like weights computed from the retrieved text itself (the answerer
 * sees only the hits, never corpus-wide statistics).
 */

const VOWEL = /[aeiouy]/;

// Function words plus the fillers speech-recognition transcripts are full of.
const STOPWORDS = new Set(
  `a about above after again against all also am an and any are aren as at be because been before being
  below between both but by can cannot could couldn did didn do does doesn doing don down during each
  few for from further had hadn has hasn have haven having he her here hers herself him himself his how
  i if in into is isn it its itself just let me more most my myself no nor not now of off on once only
  or other ought our ours ourselves out over own same she should shouldn so some such than that the
  their theirs them themselves then there these they this those through to too under until up very
  was wasn we were weren what when where which while who whom why will with won would wouldn you your
  yours yourself yourselves ll ve re s t d m um uh like yeah okay ok oh gonna wanna gotta really
  actually basically literally kind sort thing things stuff going get got go right know mean well
  even still much many lot lots way one also us via per`
    .split(/\s+/)
    .filter(Boolean),
);

// Words that frame a question about the channel rather than name its subject: every question is
// "what did Cole say about X", so these must not count as evidence for X.
const QUESTION_FRAME = new Set(
  `cole coles medin say said says tell talk talks talked mention mentions mentioned recommend
  recommends recommended describe describes explain explains video videos channel think thinks
  opinion stance view according cover covered use uses used using approach`
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => stem(w)),
);

/** Lower-cased word tokens; keeps decimals like `5.3` and drops the possessive `'s`. */
export function tokenize(text: string): string[] {
  const normalised = text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/'s\b/g, '');
  const out: string[] = [];
  for (const raw of normalised.split(/[^a-z0-9.]+/)) {
    const token = raw.replace(/^\.+|\.+$/g, '');
    if (!token) continue;
    // A dot inside a word is sentence punctuation glued by the split ("agents.the"): split it again.
    if (token.includes('.') && !/^\d+(\.\d+)+$/.test(token)) {
      for (const part of token.split('.')) if (part) out.push(part);
    } else {
      out.push(token);
    }
  }
  return out;
}

function undouble(word: string): string {
  const n = word.length;
  if (n >= 3 && word[n - 1] === word[n - 2] && !/[lsz]/.test(word[n - 1]!)) return word.slice(0, -1);
  return word;
}

/**
 * A small suffix stemmer: consistent rather than linguistically exact, so that "agents"/"agent",
 * "coding"/"code", "embeddings"/"embedded" meet on one stem.
 */
export function stem(word: string): string {
  let w = word;
  if (/\d/.test(w)) return w;
  if (w.length <= 3) return w.length === 3 && w.endsWith('e') ? w.slice(0, -1) : w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);

  if (w.endsWith('ing') && w.length >= 5 && VOWEL.test(w.slice(0, -3))) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && !w.endsWith('eed') && w.length >= 4 && VOWEL.test(w.slice(0, -2)))
    w = undouble(w.slice(0, -2));
  else if (w.endsWith('ly') && w.length > 5) w = w.slice(0, -2);

  if (w.endsWith('e') && w.length >= 3) w = w.slice(0, -1);
  return w;
}

/** Stemmed content terms of a text, in order, with repeats. */
export function contentTerms(text: string): string[] {
  const out: string[] = [];
  for (const token of tokenize(text)) {
    if (STOPWORDS.has(token)) continue;
    // Single letters carry nothing; single digits can ("Claude 5"), so keep those.
    if (token.length < 2 && !/\d/.test(token)) continue;
    out.push(stem(token));
  }
  return out;
}

/** The distinct content terms of a question, minus the words that only frame it. */
export function questionTerms(question: string): string[] {
  return [...new Set(contentTerms(question).filter((t) => !QUESTION_FRAME.has(t)))];
}

/**
 * BM25-style IDF of each term over a set of documents (each a set of terms). Always positive, so a
 * term every document shares still counts a little; a term no document has gets the most weight.
 */
export function idfWeights(
  terms: readonly string[],
  docs: readonly ReadonlySet<string>[],
): Map<string, number> {
  const n = docs.length;
  const weights = new Map<string, number>();
  for (const term of terms) {
    let df = 0;
    for (const doc of docs) if (doc.has(term)) df++;
    weights.set(term, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  }
  return weights;
}

/** Jaccard similarity of two term sets. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / (a.size + b.size - shared);
}
