import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { FactoryError } from '../errors.ts';
import { type Policy, PolicySchema } from './schema.ts';

const run = promisify(execFile);

/** The policy file's name at the repository root. */
export const POLICY_FILE = 'mission.md';

export interface LoadedPolicy {
  /** The validated front matter, defaults filled in. */
  policy: Policy;
  /** The Markdown below the front matter: the mission the models read. */
  prose: string;
}

const FENCE = /^---[ \t]*$/;
const END = /^(?:---|\.\.\.)[ \t]*$/;

function invalid(source: string, problems: string[]): FactoryError {
  return new FactoryError('policy_invalid', `${problems.map((p) => `${source}: ${p}`).join('\n')}`, {
    source,
    problems,
  });
}

/** Splits `---\n<yaml>\n---\n<prose>`; the front matter must open on the first line. */
function splitFrontMatter(markdown: string, source: string): { yaml: string; prose: string } {
  const lines = markdown.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (!FENCE.test(lines[0] ?? '')) {
    throw invalid(source, [
      'no front matter: the file must start with a "---" line, the policy in YAML, and a closing "---" line',
    ]);
  }
  const end = lines.findIndex((line, index) => index > 0 && END.test(line));
  if (end < 0) throw invalid(source, ['the front matter is not closed: add a "---" line after the YAML']);
  return {
    yaml: lines.slice(1, end).join('\n'),
    prose: lines
      .slice(end + 1)
      .join('\n')
      .replace(/^\s*\n/, ''),
  };
}

/** `line L, column C` in the file (the opening fence is line 1, so the YAML starts on line 2). */
function position(yaml: string, offset: number): string {
  const before = yaml.slice(0, Math.max(0, offset)).split('\n');
  return `line ${before.length + 1}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(front matter)';
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index ? '.' : ''}${String(key)}`))
    .join('');
}

/** One readable line per problem, naming the field: `limits.fixAttempts: must be ≤ 10`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`${fieldPath([...issue.path, key])}: unknown field`);
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      lines.push(`${fieldPath(issue.path)}: required (${issue.expected})`);
    } else {
      lines.push(`${fieldPath(issue.path)}: ${issue.message}`);
    }
  }
  return lines;
}

/**
 * Parses mission.md: YAML front matter (validated against `PolicySchema`) and the prose below it.
 * Throws `FactoryError('policy_invalid')` naming the source and every bad field.
 */
export function parsePolicy(markdown: string, source: string): LoadedPolicy {
  const { yaml, prose } = splitFrontMatter(markdown, source);
  const doc = parseDocument(yaml, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalid(
      source,
      doc.errors.map((error) => `${position(yaml, error.pos[0])}: YAML: ${error.message.split('\n')[0]}`),
    );
  }
  const data: unknown = doc.toJS({ maxAliasCount: 50 });
  if (data === null || data === undefined) throw invalid(source, ['the front matter is empty']);
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw invalid(source, ['the front matter must be a YAML mapping (key: value lines)']);
  }
  const parsed = PolicySchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw invalid(source, describeIssues(parsed.error.issues));
  return { policy: parsed.data, prose };
}

/** Reads and parses a policy file from disk (for tools and tests; the factory reads it from git). */
export async function loadPolicyFromFile(path: string): Promise<LoadedPolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new FactoryError('policy_invalid', `${path}: cannot read the policy file`, { path }, { cause });
  }
  return parsePolicy(text, path);
}

/**
 * Reads mission.md as committed at `ref` (the base branch), never the work tree, so a branch under
 * test cannot change the rules it is judged by. Also returns the commit the policy came from.
 */
export async function loadPolicyFromRef(
  repoDir: string,
  ref: string,
): Promise<LoadedPolicy & { sha: string }> {
  if (!ref || ref.startsWith('-') || /[\s:]/.test(ref)) {
    throw new FactoryError('usage', `not a git ref: "${ref}"`, { ref });
  }
  let sha: string;
  try {
    const { stdout } = await run('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      cwd: repoDir,
    });
    sha = stdout.trim();
  } catch (cause) {
    throw new FactoryError(
      'git_error',
      `cannot read the policy: ${ref} is not a commit in ${repoDir}`,
      { repoDir, ref },
      { cause },
    );
  }
  const source = `${ref}:${POLICY_FILE}`;
  let text: string;
  try {
    const { stdout } = await run('git', ['show', `${sha}:${POLICY_FILE}`], {
      cwd: repoDir,
      maxBuffer: 16 * 1024 * 1024,
      encoding: 'utf8',
    });
    text = stdout;
  } catch (cause) {
    throw new FactoryError(
      'policy_invalid',
      `${source}: no ${POLICY_FILE} at ${ref} (${sha.slice(0, 12)}): the factory needs its policy on the base branch`,
      { repoDir, ref, sha },
      { cause },
    );
  }
  return { ...parsePolicy(text, source), sha };
}
