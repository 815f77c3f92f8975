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
const VERSION = /^\d+(\.\d+)*$/;

interface Token {
  raw: string;
  capital: boolean;
  terms: string[];
  /** The run of capitalised words this token belongs to, as written ("Claude 5 Opus"). */
  phrase: string;
}

function tokens(question: string): Token[] {
  const pieces = question
    .split(/\s+/)
    .map((piece) => piece.replace(/^[("'“‘[]+|[)"'”’\],;:?!.]+$/g, '').replace(/['’]s$/, ''))
    .filter(Boolean);
  const capitals = pieces.map((clean, i) => {
    // Sentence-initial capitals say nothing, unless the word is capitalised inside too ("PIV", "GPT-5").
    const inner = /[A-Z]/.test(clean.slice(1));
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
      while (a > 0 && capitals[a - 1]) a--;
      while (b + 1 < pieces.length && capitals[b + 1]) b++;
    }
    const phrase = pieces.slice(a, b + 1).join(' ');
    // Hyphenated names are one phrase but several tokens ("AG-UI", "GPT-5.3").
    for (const part of clean.split(/[-/]/).filter(Boolean)) {
      out.push({ raw: part, capital: capitals[i]! || VERSION.test(part), terms: terms(part), phrase });
    }
  });
  return out;
}

/** Reads a question: its kinds, subject terms (entities and bound versions marked) and comparison sides. */
// Words that say what kind of answer is wanted, not what it is about.
const KIND_WORDS = new Set(
  terms('compare compared comparison difference differences different differ versus vs similar'),
);

export function analyseQuestion(question: string): QuestionAnalysis {
  const subjectTerms = new Set(questionTerms(question).filter((t) => !KIND_WORDS.has(t)));
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
