import { parse } from 'shell-quote';
import { normalizeRepoPath } from '../policy/paths.ts';
import type { Policy } from '../policy/schema.ts';

/**
 * What the agent's `run` tool may execute. A command string is parsed into argv (no shell ever
 * sees it); anything a shell would interpret (operators, redirects, globs, variables, comments,
 * command substitution, newlines) is refused outright rather than passed through literally.
 *
 * Allowed:
 * - a `validate` command of the policy, argv equal to it, or followed by extra *path* arguments
 *   (each relative, inside the worktree, not an option: e.g. `pnpm exec vitest run
 *   rag-app/test/ask.test.ts`). The agent can already change what those commands run by editing
 *   writable files, so a path narrows what runs without widening what it may do; the sandbox, not
 *   this list, is the security boundary. Options are not accepted, so `--config evil.ts` is refused.
 * - read-only git: `git <diff|status|log|show|ls-files|grep|rev-parse|blame> …`, with the
 *   subcommand right after `git` (so no global `-c`, `-C`, `--git-dir`, `--exec-path`), and none
 *   of the options that write files, run programs or read files outside the repository.
 */

export const OPERATORS_REFUSED = 'refused: shell operators are not allowed';
export const GIT_TIMEOUT_MS = 60_000;

export const READ_ONLY_GIT = [
  'diff',
  'status',
  'log',
  'show',
  'ls-files',
  'grep',
  'rev-parse',
  'blame',
] as const;

/** Options (exact, or as a prefix followed by `=` or a value) that make read-only git write, execute or read elsewhere. */
const GIT_REFUSED_OPTIONS = [
  '--output', // writes a file (diff, log, show)
  '--output-directory',
  '-o', // brief: refused as an output option
  '--ext-diff', // runs an external diff program
  '--textconv', // runs textconv drivers
  '-O', // grep: opens the matches with a program
  '--open-files-in-pager',
  '--no-index', // diff/grep files outside the repository
  '--pathspec-from-file', // reads any file
  '--exec-path',
  '--git-dir',
  '--work-tree',
  '--config-env',
] as const;

/** blame reads the file named by these; for log, `-S` is the harmless pickaxe. */
const GIT_BLAME_REFUSED_OPTIONS = ['--contents', '--ignore-revs-file', '-S'] as const;

export type ParsedCommand = { ok: true; argv: string[] } | { ok: false; reason: string };

export type CommandDecision =
  | { allowed: true; argv: string[]; kind: 'validate'; name: string; timeoutMs: number }
  | { allowed: true; argv: string[]; kind: 'git'; name: string; timeoutMs: number }
  | { allowed: false; reason: string };

/**
 * Splits a command line into argv with shell quoting rules, refusing everything a shell would
 * interpret: `| & ; ( ) < >` and their combinations, globs (`*`, `?` unquoted), `$VAR`, `$(…)`,
 * backticks, comments, and control characters such as newlines.
 */
export function parseArgv(command: string): ParsedCommand {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  if (/[\u0000-\u001f\u007f`]/.test(command)) return { ok: false, reason: OPERATORS_REFUSED };
  let entries: ReturnType<typeof parse<{ op: string }>>;
  try {
    entries = parse(command, (key) => ({ op: `$${key}` }));
  } catch {
    // shell-quote throws on a malformed ${…}
    return { ok: false, reason: OPERATORS_REFUSED };
  }
  const argv: string[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string') return { ok: false, reason: OPERATORS_REFUSED };
    argv.push(entry);
  }
  if (argv.length === 0) return { ok: false, reason: 'refused: the command is empty' };
  return { ok: true, argv };
}

function shown(command: string): string {
  const line = command.trim();
  return line.length > 120 ? `${line.slice(0, 120)}…` : line;
}

/** A trailing argument after a validate command: a worktree-relative path, never an option. */
function isPathArgument(arg: string): boolean {
  if (arg.startsWith('-')) return false;
  const normal = normalizeRepoPath(arg);
  return normal !== undefined && !normal.split('/').some((segment) => segment.toLowerCase() === '.git');
}

function gitOptionRefused(sub: string, arg: string): string | undefined {
  const refused =
    sub === 'blame' ? [...GIT_REFUSED_OPTIONS, ...GIT_BLAME_REFUSED_OPTIONS] : GIT_REFUSED_OPTIONS;
  for (const option of refused) {
    if (arg === option) return option;
    if (option.startsWith('--') ? arg.startsWith(`${option}=`) : arg.startsWith(option)) return option;
  }
  return undefined;
}

/** Decides one `run` command against the policy. Pure: the caller runs an allowed argv through the sandbox. */
export function decideCommand(policy: Policy, command: string): CommandDecision {
  const parsed = parseArgv(command);
  if (!parsed.ok) return { allowed: false, reason: parsed.reason };
  const { argv } = parsed;

  for (const validate of policy.validate) {
    const expected = parseArgv(validate.command);
    if (!expected.ok) continue;
    const prefix = expected.argv;
    if (argv.length < prefix.length || prefix.some((word, i) => argv[i] !== word)) continue;
    const extra = argv.slice(prefix.length);
    if (extra.every(isPathArgument)) {
      return {
        allowed: true,
        argv,
        kind: 'validate',
        name: validate.name,
        timeoutMs: validate.timeoutSeconds * 1000,
      };
    }
    const bad = extra.find((arg) => !isPathArgument(arg));
    return {
      allowed: false,
      reason: `refused: ${bad} is not allowed after \`${validate.command}\` (only worktree-relative file paths may follow a validate command)`,
    };
  }

  if (argv[0] === 'git') {
    const sub = argv[1];
    if (sub === undefined || !(READ_ONLY_GIT as readonly string[]).includes(sub)) {
      return {
        allowed: false,
        reason: `refused: ${shown(command)} is not an allowed command (read-only git only: ${READ_ONLY_GIT.join(', ')})`,
      };
    }
    for (const arg of argv.slice(2)) {
      if (arg === '--') break;
      const option = gitOptionRefused(sub, arg);
      if (option)
        return {
          allowed: false,
          reason: `refused: git ${sub} ${option} is not allowed (read-only git only)`,
        };
    }
    return { allowed: true, argv, kind: 'git', name: `git ${sub}`, timeoutMs: GIT_TIMEOUT_MS };
  }

  return {
    allowed: false,
    reason: `refused: ${shown(command)} is not an allowed command (allowed: ${policy.validate
      .map((v) => v.command)
      .join(', ')}, read-only git)`,
  };
}
