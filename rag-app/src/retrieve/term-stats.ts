/**
 * Corpus term statistics for one question, as the refusal and the answer weigh it: the document
 * frequency of each subject term, and of every vocabulary term a spelling check may compare it
 * with (same first letter, a length within reach of the term or of the word as asked, and the
 * parts a compound splits into). Fetched up front from whichever ranker holds the corpus (the
 * in-memory index or SQL), so `ask` never needs the whole vocabulary in memory, and both rankers
 * give the same statistics by construction. Pure apart from the source it is handed.
 */
import { respell, type Vocabulary } from './oov.ts';

/** How many chunks hold a term, and how many chunks there are. */
export interface TermStats extends Vocabulary {
  readonly size: number;
}

/** Vocabulary terms that start with `first` and are `minLength`…`maxLength` characters long. */
export interface TermShape {
  first: string;
  minLength: number;
  maxLength: number;
}

/** Where the statistics come from: the in-memory index or the store's bm25_terms/bm25_corpus. */
export interface TermStatsSource {
  /** Chunks in the corpus. */
  readonly size: number;
  /** Document frequencies of `terms`; absent terms left out. */
  dfs(terms: readonly string[]): Promise<Map<string, number>>;
  /** Every vocabulary term (with its df > 0) of one of the shapes. */
  shaped(shapes: readonly TermShape[]): Promise<Map<string, number>>;
}

/** A subject term as the question analysis gives it: stemmed, and as written. */
export interface AskedTerm {
  term: string;
  surface: string;
}

/**
 * Edits a spelling comparison may span: respelling (oov.ts) reaches two edits from the term, the
 * commoner-spelling check (answer/support.ts) one edit from the term or from the word as asked.
 */
const TERM_REACH = 2;
const SURFACE_REACH = 1;

/** The shapes a spelling check of these terms may look at, one per term. */
export function shapesFor(asked: readonly AskedTerm[]): TermShape[] {
  const out: TermShape[] = [];
  for (const { term, surface } of asked) {
    if (!term) continue;
    const word = surface.toLowerCase();
    out.push({
      first: term[0]!,
      minLength: Math.max(1, Math.min(term.length - TERM_REACH, word.length - SURFACE_REACH)),
      maxLength: Math.max(term.length + TERM_REACH, word.length + SURFACE_REACH),
    });
  }
  return out;
}

function inShape(term: string, shapes: readonly TermShape[]): boolean {
  return shapes.some((s) => term[0] === s.first && term.length >= s.minLength && term.length <= s.maxLength);
}

/**
 * The statistics of these terms from `source`. Terms are listed in sorted order (so a tie goes the
 * same way whichever source answered). A df asked of a term never looked up is a programming error
 * (the caller weighed a term this set does not cover) and throws rather than reading as absent.
 */
export async function termStatsFor(source: TermStatsSource, asked: readonly AskedTerm[]): Promise<TermStats> {
  const shapes = shapesFor(asked);
  const dfs = await source.shaped(shapes);
  const exact = new Set(asked.map((a) => a.term));
  for (const [term, df] of await source.dfs([...exact])) dfs.set(term, df);
  // Respelling a missing term splits it into parts outside the shapes: record the parts it asks
  // for, fetch them, and the next respell sees what the whole vocabulary would have answered.
  const parts = new Set<string>();
  respell(exact, {
    df: (t) => {
      if (!dfs.has(t) && !exact.has(t) && !inShape(t, shapes)) parts.add(t);
      return dfs.get(t) ?? 0;
    },
    terms: () => dfs.keys(),
  });
  for (const t of parts) exact.add(t);
  for (const [term, df] of await source.dfs([...parts])) dfs.set(term, df);
  const sorted = [...dfs.keys()].sort();
  return {
    size: source.size,
    df(term) {
      const df = dfs.get(term);
      if (df !== undefined) return df;
      if (exact.has(term) || inShape(term, shapes)) return 0;
      throw new Error(`term statistics for "${term}" were not fetched (only the question's terms are)`);
    },
    terms: () => sorted,
  };
}
