import { isAppendOnly, isLockfile, isProtected, normalizeRepoPath } from './paths.ts';
import type { Policy } from './schema.ts';

/**
 * Finds places where mission.md's prose states a number or a path that the front matter contradicts
 * (the front matter is the single source; the prose should name its keys, not repeat values). Pure;
 * a heuristic over words, tuned to be quiet on prose that only names keys. Each finding is one line.
 */

const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  twenty: 20,
};

interface Token {
  text: string;
  value?: number;
}

function tokenize(prose: string): Token[] {
  // List markers ("3. …") are not quantities.
  const text = prose.replace(/^\s*\d+\.\s/gm, ' ');
  return (text.match(/[A-Za-z][\w-]*|\d[\d,]*(?:\.\d+)?/g) ?? []).map((raw) => {
    if (/^\d/.test(raw)) return { text: raw, value: Number(raw.replace(/,/g, '')) };
    const word = NUMBER_WORDS[raw.toLowerCase()];
    return word === undefined ? { text: raw } : { text: raw, value: word };
  });
}

interface NumberRule {
  key: string;
  expected: (policy: Policy) => number;
  /** A token that says which limit a nearby number is about. */
  anchor: RegExp;
  before: number;
  after: number;
  /** Scales a number by the unit word that follows it (e.g. hours → minutes). */
  unit?: (next: string | undefined) => number;
}

const RULES: NumberRule[] = [
  {
    key: 'limits.fixAttempts',
    expected: (p) => p.limits.fixAttempts,
    anchor: /^fix(?:es|ing|-[a-z]+|attempts?)?$/i,
    before: 3,
    after: 4,
  },
  {
    key: 'limits.maxChangedLines',
    expected: (p) => p.limits.maxChangedLines,
    anchor: /^(?:changed|maxChangedLines)$/i,
    before: 2,
    after: 3,
  },
  {
    key: 'limits.maxFiles',
    expected: (p) => p.limits.maxFiles,
    anchor: /^(?:files|maxFiles)$/i,
    before: 2,
    after: 0,
  },
  {
    key: 'budgets.run.wallMinutes',
    expected: (p) => p.budgets.run.wallMinutes,
    anchor: /^(?:wall|wallMinutes)$/i,
    before: 4,
    after: 4,
    unit: (next) => (next && /^(?:h|hours?)$/i.test(next) ? 60 : 1),
  },
];

function numberDrift(policy: Policy, tokens: Token[]): string[] {
  const found: string[] = [];
  for (const rule of RULES) {
    const expected = rule.expected(policy);
    tokens.forEach((token, index) => {
      if (!rule.anchor.test(token.text)) return;
      const from = Math.max(0, index - rule.before);
      const to = Math.min(tokens.length - 1, index + rule.after);
      for (let at = from; at <= to; at++) {
        const value = tokens[at]?.value;
        if (value === undefined) continue;
        const stated = value * (rule.unit?.(tokens[at + 1]?.text) ?? 1);
        if (stated !== expected) {
          const phrase = tokens
            .slice(from, to + 1)
            .map((t) => t.text)
            .join(' ');
          found.push(`the prose says ${tokens[at]?.text} near "${phrase}", but ${rule.key} is ${expected}`);
        }
      }
    });
  }
  return found;
}

/** `dir/**` → a path that glob would match, to test against the policy's globs. */
function samplePath(glob: string): string {
  return glob.replace(/\*\*/g, 'x/y').replace(/\*/g, 'x').replace(/\/$/, '/x');
}

function backticked(text: string): string[] {
  return [...text.matchAll(/`([^`\s]+)`/g)].map((m) => m[1] ?? '');
}

function looksLikeRepoPath(token: string): boolean {
  return (
    token.includes('/') && !/^[a-z]+:\/\//i.test(token) && !token.startsWith('/') && !token.startsWith('../')
  );
}

/** Every paragraph or list item: the unit a statement about a path lives in. */
function paragraphs(text: string): string[] {
  return text.split(/\n\s*\n|\n(?=\s*(?:[-*]|\d+\.)\s)/);
}

function pathDrift(policy: Policy, prose: string): string[] {
  const found: string[] = [];
  for (const paragraph of paragraphs(prose)) {
    if (!/holdout/i.test(paragraph)) continue;
    for (const token of backticked(paragraph)) {
      const path = normalizeRepoPath(samplePath(token));
      if (looksLikeRepoPath(token) && path !== undefined) {
        found.push(
          `the prose puts holdout data at ${token}, inside the repository; the holdout lies outside it`,
        );
      }
    }
  }
  const section = prose.match(/^##\s+Protected paths[^\n]*\n([\s\S]*?)(?=^##\s|(?![\s\S]))/m)?.[1] ?? '';
  for (const token of backticked(section)) {
    if (!looksLikeRepoPath(token)) continue;
    const path = samplePath(token);
    if (!isProtected(policy, path) && !isAppendOnly(policy, path) && !isLockfile(policy, path)) {
      found.push(
        `the prose lists ${token} as protected, but no protected, appendOnly or lockfiles glob matches it`,
      );
    }
  }
  return found;
}

export function findProseDrift(policy: Policy, prose: string): string[] {
  return [...numberDrift(policy, tokenize(prose)), ...pathDrift(policy, prose)];
}
