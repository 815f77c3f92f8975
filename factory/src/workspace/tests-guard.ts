import picomatch from 'picomatch';
import { git } from './git.ts';
import type { DiffFile, TestIntegrity, Worktree } from './types.ts';

/** What counts as a test file: `**\/*.test.ts`, `**\/*.spec.ts` and anything under a `test/` directory. */
export const TEST_FILE_GLOBS = ['**/*.test.ts', '**/*.spec.ts', '**/test/**'];

const matchTest = picomatch(TEST_FILE_GLOBS, { dot: true });

export function isTestFile(path: string): boolean {
  return matchTest(path.replace(/\\/g, '/'));
}

const REGEX_BEFORE = new Set('(,=:[!&|?{};+-*%<>~^'.split(''));
const REGEX_AFTER_WORD = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'void',
  'yield',
  'await',
]);

/**
 * The source with comments removed and string, template and regex literal contents blanked, so that
 * a commented-out `expect(` or one quoted in a string does not count. `${…}` inside a template stays
 * code. A small lexer, not a parser: good enough to compare a file with its own earlier version.
 */
export function codeOnly(source: string): string {
  let out = '';
  let i = 0;
  const n = source.length;
  let braces = 0;
  const templateBraces: number[] = [];
  let last = '';

  const scanTemplate = (from: number): number => {
    let j = from;
    while (j < n) {
      const c = source[j]!;
      if (c === '\\') j += 2;
      else if (c === '`') return j + 1;
      else if (c === '$' && source[j + 1] === '{') {
        templateBraces.push(braces);
        braces++;
        out += '${';
        last = '{';
        return j + 2;
      } else j++;
    }
    return n;
  };

  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      i = end === -1 ? n : end;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      out += ' ';
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      i = j + 1;
      out += `${c}${c}`;
      last = c;
      continue;
    }
    if (c === '`') {
      out += '`';
      i = scanTemplate(i + 1);
      if (!out.endsWith('${')) out += '`';
      last = '`';
      continue;
    }
    if (c === '/') {
      const word = /([A-Za-z_$][\w$]*)\s*$/.exec(out.slice(-24))?.[1];
      const lastIsWord = /[\w$]/.test(last);
      if (last === '' || REGEX_BEFORE.has(last) || (lastIsWord && word && REGEX_AFTER_WORD.has(word))) {
        let j = i + 1;
        let inClass = false;
        while (j < n && source[j] !== '\n') {
          const r = source[j]!;
          if (r === '\\') j += 2;
          else {
            if (r === '[') inClass = true;
            else if (r === ']') inClass = false;
            else if (r === '/' && !inClass) break;
            j++;
          }
        }
        if (j < n && source[j] === '/') {
          j++;
          while (j < n && /[a-z]/i.test(source[j]!)) j++;
          out += '/_/';
          last = '/';
          i = j;
          continue;
        }
      }
    }
    if (c === '{') braces++;
    if (c === '}') {
      braces--;
      if (templateBraces.length > 0 && templateBraces[templateBraces.length - 1] === braces) {
        templateBraces.pop();
        out += '}';
        i = scanTemplate(i + 1);
        if (!out.endsWith('${')) out += '`';
        last = '`';
        continue;
      }
    }
    out += c;
    if (!/\s/.test(c)) last = c;
    i++;
  }
  return out;
}

/**
 * What counts as one assertion (in code, not comments or strings):
 * - `expect(…)`, `expect.soft(…)`, `expectTypeOf(…)`, `assertType(…)` (vitest / jest);
 * - `assert(…)` and `assert.<anything>(…)` (node:assert, chai's assert, node:test's `t.assert.*`);
 * - ava / tap style `t.<is|not|true|false|truthy|falsy|deepEqual|notDeepEqual|like|throws|
 *   throwsAsync|notThrows|notThrowsAsync|regex|notRegex|snapshot|ok|notOk|equal|notEqual|same|
 *   notSame|strictSame|match|notMatch|error|rejects|resolves|strictEqual|notStrictEqual>(…)`.
 * `expect.assertions(n)` / `expect.hasAssertions()` are not counted (they check a count, not a value).
 */
const ASSERTION_PATTERNS = [
  /(?<![\w$.])expect\s*(?:\.\s*soft\s*)?\(/g,
  /(?<![\w$.])(?:expectTypeOf|assertType)\s*\(/g,
  /(?<![\w$])assert\s*\(/g,
  /(?<![\w$])assert\s*\.\s*[A-Za-z_$][\w$]*\s*\(/g,
  /(?<![\w$.])t\s*\.\s*(?:is|not|true|false|truthy|falsy|deepEqual|notDeepEqual|like|throws|throwsAsync|notThrows|notThrowsAsync|regex|notRegex|snapshot|ok|notOk|equal|notEqual|same|notSame|strictSame|match|notMatch|error|rejects|resolves|strictEqual|notStrictEqual)\s*\(/g,
];

/**
 * Markers that stop tests from running: `.skip(`, `.only(` (it silences the rest of the file),
 * `.todo(`, `.skipIf(`, `.runIf(`, `.fails(` on any receiver (`it.skip`, `describe.only`,
 * `ctx.skip()`), and `xit(` / `xtest(` / `xdescribe(` / `fit(` / `fdescribe(`.
 */
const SKIP_PATTERNS = [
  /\.\s*(?:skip|only|todo|skipIf|runIf|fails)\s*\(/g,
  /(?<![\w$.])(?:xit|xtest|xdescribe|fit|fdescribe)\s*\(/g,
];

function countMatches(code: string, patterns: RegExp[]): number {
  return patterns.reduce((sum, pattern) => sum + (code.match(pattern)?.length ?? 0), 0);
}

/** Number of assertions in a test source (see ASSERTION_PATTERNS for what counts). */
export function countAssertions(source: string): number {
  return countMatches(codeOnly(source), ASSERTION_PATTERNS);
}

/** Number of skip / focus markers in a test source (see SKIP_PATTERNS). */
export function countSkipMarkers(source: string): number {
  return countMatches(codeOnly(source), SKIP_PATTERNS);
}

interface TouchedTest {
  file: DiffFile;
  /** Path at the base, when it was a test file there. */
  before: string | null;
  /** Path in the change, when it is a test file there. */
  after: string | null;
}

/** The diff's files that are test files before or after the change. */
export function touchedTests(files: DiffFile[]): TouchedTest[] {
  const touched: TouchedTest[] = [];
  for (const file of files) {
    const oldPath = file.oldPath ?? file.path;
    const before = file.status !== 'added' && isTestFile(oldPath) ? oldPath : null;
    const after = file.status !== 'deleted' && isTestFile(file.path) ? file.path : null;
    if (before !== null || after !== null) touched.push({ file, before, after });
  }
  return touched;
}

function textOf(texts: Map<string, string>, path: string, side: string): string {
  const text = texts.get(path);
  if (text === undefined) throw new Error(`checkTestIntegrity: no ${side} text for ${path}`);
  return text;
}

/**
 * No test file deleted (or renamed out of the test patterns), no net loss of assertions over the
 * test files the diff touches, no more skip/focus markers than before. `before` holds each touched
 * test file's text at the base (keyed by its base path), `after` its text in the change; binary
 * files are not counted. Pure.
 */
export function checkTestIntegrity(
  before: Map<string, string>,
  after: Map<string, string>,
  files: DiffFile[],
): TestIntegrity {
  const deletedTests: string[] = [];
  const lostAssertions: TestIntegrity['lostAssertions'] = [];
  let assertionsBefore = 0;
  let assertionsAfter = 0;
  let skipMarkersBefore = 0;
  let skipMarkersAfter = 0;
  for (const touched of touchedTests(files)) {
    if (touched.before !== null && touched.after === null) deletedTests.push(touched.before);
    if (touched.file.binary) continue;
    const textBefore = touched.before !== null ? textOf(before, touched.before, 'before') : '';
    const textAfter = touched.after !== null ? textOf(after, touched.after, 'after') : '';
    const countBefore = countAssertions(textBefore);
    const countAfter = countAssertions(textAfter);
    assertionsBefore += countBefore;
    assertionsAfter += countAfter;
    skipMarkersBefore += countSkipMarkers(textBefore);
    skipMarkersAfter += countSkipMarkers(textAfter);
    if (countAfter < countBefore) {
      lostAssertions.push({ path: touched.after ?? touched.before!, before: countBefore, after: countAfter });
    }
  }
  return {
    deletedTests,
    assertionsBefore,
    assertionsAfter,
    skipMarkersBefore,
    skipMarkersAfter,
    lostAssertions,
    ok:
      deletedTests.length === 0 &&
      assertionsAfter >= assertionsBefore &&
      skipMarkersAfter <= skipMarkersBefore,
  };
}

/**
 * The text of `path` at `ref` (a commit, a branch, or `''` for the index), or null when the path
 * does not exist there.
 */
export async function readAtRef(repo: string, ref: string, path: string): Promise<string | null> {
  const spec = `${ref}:${path.replace(/\\/g, '/').replace(/^\.\//, '')}`;
  const exists = await git(repo, ['cat-file', '-e', spec], { okExitCodes: [1, 128] });
  if (exists.exitCode !== 0) return null;
  const { stdout } = await git(repo, ['cat-file', 'blob', spec]);
  return stdout;
}

/**
 * The before/after texts `checkTestIntegrity` needs for a diff of `worktree`: before from the base
 * commit, after from the index (what `diffAgainstBase` staged).
 */
export async function collectTestTexts(
  worktree: Worktree,
  files: DiffFile[],
): Promise<{ before: Map<string, string>; after: Map<string, string> }> {
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  for (const touched of touchedTests(files)) {
    if (touched.file.binary) continue;
    if (touched.before !== null) {
      before.set(touched.before, (await readAtRef(worktree.dir, worktree.baseSha, touched.before)) ?? '');
    }
    if (touched.after !== null) {
      after.set(touched.after, (await readAtRef(worktree.dir, '', touched.after)) ?? '');
    }
  }
  return { before, after };
}
