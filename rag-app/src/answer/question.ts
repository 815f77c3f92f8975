/**
 * What a question asks for, read from its words alone: the kind of answer it wants (a definition,
 * a list, steps, a comparison, an opinion, a reason) and its subject terms, with the names the
 * asker capitalised marked as entities and version numbers bound to the name they qualify
 * ("Claude 5 Opus": the 5 counts only next to Claude or Opus). Pure.
 */
import { questionTerms, stem, terms, words } from '../text/tokenize.ts';

export const QUESTION_KINDS = ['definition', 'list', 'steps', 'comparison', 'opinion', 'reason'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

export interface SubjectTerm {
  /** Stemmed term, as the index holds it. */
  term: string;
  /** The word as the question wrote it (for messages). */
  surface: string;
  /** A name the asker capitalised (not sentence-initial): "Rust", "Kubernetes", "PIV". */
  entity: boolean;
  /** For a version number: the terms it must stand next to ("gpt" for "5.3" in "GPT-5.3"). */
  boundTo: string[];
  /**
   * A name given as an example or an alternative ("voice platforms like Vapi or Bland"), in
   * parentheses, or as the maker of a named thing ("Vercel's agent-browser CLI"): the answer may be
   * about the rest without it.
   */
  optional?: boolean;
  /** Terms of another name for the same thing, written beside it in parentheses ("Agent2Agent (A2A)"). */
  aliases?: string[];
}

export interface QuestionAnalysis {
  question: string;
  kinds: QuestionKind[];
  subject: SubjectTerm[];
  /** The two sides of a comparison ("n8n vs Python"), as term lists; empty otherwise. */
  sides: string[][];
}

const KIND_PATTERNS: [QuestionKind, RegExp][] = [
  ['comparison', /\b(vs\.?|versus|differen(ce|t|ces)|compare[ds]?|comparison|better than|instead of)\b/i],
  [
    'steps',
    /^\s*how (do|can|should|would|to|did) (i|you|we|one)\b|\bhow to\b|\bset ?up\b|\bsteps?\b|\binstall|\bconfigure\b/i,
  ],
  [
    'list',
    /\b(what|which) are\b|\b(components?|stages?|phases?|rules|tips|ways|parts|layers|pieces|techniques|strategies|options|tools)\b|\b(two|three|four|five|six|seven|\d+) [a-z]+/i,
  ],
  [
    'opinion',
    /\b(think|thinks|opinion|stance|take on|take|view|verdict|prefer|prefers|recommend|recommends|feel|like about|worth)\b/i,
  ],
  ['reason', /\bwhy\b|\breason\b|\bwhat (problems?|issues?)\b/i],
  ['definition', /^\s*(what|who)('s| is| are| was| were)\b|\bwhat does .+ (mean|stand for)\b|\bwhat is\b/i],
];

/** The kinds of answer a question asks for, most specific first; [] for anything else. */
export function questionKinds(question: string): QuestionKind[] {
  return KIND_PATTERNS.filter(([, re]) => re.test(question)).map(([kind]) => kind);
}

const NOT_ENTITIES = new Set(['cole', 'coles', 'i', 'im', 'ive', 'id', 'ill']);
const PLURAL_ACRONYM = /^[A-Z]{2,5}s$/;
const VERSION = /^\d+(\.\d+)*$/;

interface Token {
  raw: string;
  capital: boolean;
  terms: string[];
  /** The run of capitalised words this token belongs to, as written ("Claude 5 Opus"). */
  phrase: string;
  /** Given as an example or alternative, in parentheses, or as a maker ("Vercel's"). */
  optional: boolean;
  /** Inside parentheses right after a name: another name for it. */
  alias: boolean;
}

// Words after which a name is an example or an alternative, not the subject. Not "vs" or "than":
// both sides of a comparison are its subject.
const EXAMPLE_CUE =
  /(?:^|\s)(like|such as|e\.g\.?|for example|for instance|or|instead of|rather than|other than)(\s+(with|using|in))?$/i;

function cleanPiece(piece: string): string {
  return (
    piece
      .replace(/^[("'“‘[]+|[)"'”’\],;:?!.]+$/g, '')
      .replace(/['’]s$/, '')
      // "ColBERT-style", "Claude-based": the name is ColBERT, Claude.
      .replace(/(?<=\w)-(style|based|like|powered|esque)$/i, '')
  );
}

function tokens(question: string): Token[] {
  const raws = question.split(/\s+/).filter((piece) => cleanPiece(piece) !== '');
  const pieces = raws.map(cleanPiece);
  const inParens: boolean[] = [];
  // Where each word's parenthesis opened (-1 outside one).
  const opened: number[] = [];
  let depth = 0;
  let openedAt = -1;
  raws.forEach((raw, i) => {
    if (raw.startsWith('(')) {
      if (depth === 0) openedAt = i;
      depth++;
    }
    inParens.push(depth > 0);
    opened.push(depth > 0 ? openedAt : -1);
    if (/\)[^)]*$/.test(raw) && depth > 0) depth--;
  });
  const cued = raws.map((_, i) => {
    const before = raws
      .slice(Math.max(0, i - 3), i)
      .join(' ')
      .toLowerCase()
      .replace(/[,;:]$/, '');
    return EXAMPLE_CUE.test(before);
  });
  // "Vercel's agent-browser CLI": the maker of a named thing; the thing is what is asked about.
  const owner = raws.map(
    (raw, i) => i > 0 && /['’]s$/.test(raw) && raws.slice(i + 1, i + 4).some((next) => /[A-Z]/.test(next)),
  );
  const capitals = pieces.map((clean, i) => {
    // Sentence-initial capitals say nothing, unless the word is capitalised inside too ("PIV", "GPT-5").
    const inner = /[A-Z]/.test(clean.slice(1));
    // A plural acronym ("LLMs", "GPUs", "PRs") names a kind of thing, not one thing: a subject word,
    // not a name the videos must say again and again.
    if (PLURAL_ACRONYM.test(clean)) return false;
    return (
      (/[A-Z]/.test(clean) && (i > 0 || inner) && !NOT_ENTITIES.has(clean.toLowerCase())) ||
      (VERSION.test(clean) && i > 0)
    );
  });
  const out: Token[] = [];
  pieces.forEach((clean, i) => {
    let a = i;
    let b = i;
    if (capitals[i]) {
      // A name in parentheses is a name of its own ("Agent2Agent (A2A)").
      while (a > 0 && capitals[a - 1] && inParens[a - 1] === inParens[i]) a--;
      while (b + 1 < pieces.length && capitals[b + 1] && inParens[b + 1] === inParens[i]) b++;
    }
    const phrase = pieces.slice(a, b + 1).join(' ');
    // A cue before a name's first word covers the whole name ("like Claude Code").
    const optional = cued[a]! || inParens[i]! || owner[b]!;
    // "Letta (formerly MemGPT)": the words in parentheses right after a name.
    const alias = opened[i]! > 0 && capitals[opened[i]! - 1]! && !inParens[opened[i]! - 1];
    // Hyphenated names are one phrase but several tokens ("AG-UI", "GPT-5.3").
    for (const part of clean.split(/[-/]/).filter(Boolean)) {
      out.push({
        raw: part,
        capital: capitals[i]! || VERSION.test(part),
        terms: terms(part),
        phrase,
        optional,
        alias,
      });
    }
  });
  return out;
}

/** Reads a question: its kinds, subject terms (entities and bound versions marked) and comparison sides. */
// Words that say what kind of answer is wanted, not what it is about.
const KIND_WORDS = new Set(
  terms('compare compared comparison difference differences different differ versus vs similar'),
);

// "How do I set up a webhook trigger?": the set-up is the kind of answer wanted (steps), not its subject,
// and the transcripts say "set up" in every demo, so it ranks passing moments above the one asked for.
const HOW_TO_FRAME =
  /^(\s*how (?:do|can|should|would|did) (?:i|you|we|one)|\s*how to)\s+(?:set(?:ting)? ?up|setup)\b/i;

/** The question as searched and read for its subject: without the frame of a how-to ("how do I set up …"). */
export function subjectText(question: string): string {
  return question.replace(HOW_TO_FRAME, '$1');
}

export function analyseQuestion(question: string): QuestionAnalysis {
  const subjectTerms = new Set(questionTerms(subjectText(question)).filter((t) => !KIND_WORDS.has(t)));
  const toks = tokens(question);
  const subject = new Map<string, SubjectTerm>();
  toks.forEach((tok, i) => {
    for (const term of tok.terms) {
      if (!subjectTerms.has(term) || subject.has(term)) continue;
      const version = VERSION.test(term);
      const boundTo: string[] = [];
      if (version) {
        // A number qualifies the capitalised names beside it: "Claude 5 Opus", "GPT-5.3", "Llama 5".
        for (const j of [i - 1, i + 1]) {
          const near = toks[j];
          if (near?.capital && !VERSION.test(near.raw)) boundTo.push(...near.terms);
        }
      }
      subject.set(term, {
        term,
        surface: tok.capital ? tok.phrase : tok.raw,
        entity: tok.capital && !version,
        boundTo: version ? boundTo : [],
      });
    }
  });
  for (const term of subjectTerms) {
    if (!subject.has(term)) subject.set(term, { term, surface: term, entity: false, boundTo: [] });
  }
  // A name is optional only where every mention of it is.
  const required = new Set(toks.filter((tok) => !tok.optional).flatMap((tok) => tok.terms));
  for (const t of subject.values()) if (t.entity && !required.has(t.term)) t.optional = true;
  // "Agent2Agent (A2A)": either name supports the other.
  toks.forEach((tok, i) => {
    if (!tok.alias || (i > 0 && toks[i - 1]!.alias)) return;
    const run: Token[] = [];
    for (let j = i; j < toks.length && toks[j]!.alias; j++) run.push(toks[j]!);
    const aliasList = run
      .filter((x) => x.capital)
      .flatMap((x) => x.terms)
      .filter((t) => subject.has(t));
    const named = toks.slice(0, i).filter((x) => x.phrase === toks[i - 1]!.phrase && !x.alias);
    for (const x of named) {
      for (const term of x.terms) {
        const t = subject.get(term);
        if (t) t.aliases = [...new Set([...(t.aliases ?? []), ...aliasList])];
      }
    }
  });
  const kinds = questionKinds(question);
  return { question, kinds, subject: [...subject.values()], sides: comparisonSides(question, kinds) };
}

/** "n8n vs Python", "context engineering different from prompt engineering", "X or Y". */
function comparisonSides(question: string, kinds: readonly QuestionKind[]): string[][] {
  if (!kinds.includes('comparison') && !/\bor\b/i.test(question)) return [];
  const m =
    /(.+?)\s+(?:vs\.?|versus|or|compared (?:to|with)|different from|differ from|and)\s+(.+)/i.exec(
      question.replace(/^.*\b(between|of|with|is|are)\b/i, ''),
    ) ?? null;
  if (!m) return [];
  const side = (s: string) => questionTerms(s.split(/[,?]/)[0] ?? '');
  const a = side(m[1]!.split(/\s+/).slice(-3).join(' '));
  const b = side(m[2]!);
  return a.length > 0 && b.length > 0 ? [a, b.slice(0, 3)] : [];
}

/** Word forms of a term, for matching a question term against transcript words. */
export function stemmedWords(text: string): string[] {
  return words(text).map((w) => stem(w));
}
