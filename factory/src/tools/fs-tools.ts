import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkAppendOnly, decideWrite } from '../policy/paths.ts';
import type { Policy } from '../policy/schema.ts';
import {
  type EditFileInput,
  type ListFilesInput,
  READ_FILE_DEFAULT_LIMIT,
  type ReadFileInput,
  type SearchInput,
  type WriteFileInput,
} from './definitions.ts';
import { listWorktreeFiles } from './files.ts';
import { type ResolvedPath, resolveInWorktree } from './paths.ts';
import type { ToolOutcome } from './types.ts';

/**
 * The file tools, built for a model (SWE-agent's lessons): bounded output that says what was cut
 * and how to see more, line numbers, explicit messages for empty results, and errors that name
 * the fix. Every path goes through `resolveInWorktree`; every write through the policy.
 */

export const LIST_MAX_ENTRIES = 300;
export const SEARCH_MAX_MATCHES = 100;
export const SEARCH_TIMEOUT_MS = 10_000;
const SEARCH_MAX_FILE_BYTES = 1024 * 1024;
const READ_MAX_FILE_BYTES = 5 * 1024 * 1024;
const WRITE_MAX_BYTES = 2 * 1024 * 1024;
const MAX_LINE_CHARS = 2000;
const SEARCH_LINE_CHARS = 200;
const EDIT_SNIPPET_CONTEXT = 3;
const EDIT_SNIPPET_MAX_LINES = 40;

export interface ReadContext {
  worktree: string;
  /** How long one search may run before it is stopped (default SEARCH_TIMEOUT_MS). */
  searchTimeoutMs?: number;
}

export interface WriteContext extends ReadContext {
  policy: Policy;
}

export const ok = (content: string): ToolOutcome => ({ content, isError: false, verdict: 'ok' });
export const refused = (reason: string): ToolOutcome => ({
  content: reason,
  isError: true,
  verdict: 'refused',
});
export const failed = (reason: string): ToolOutcome => ({ content: reason, isError: true, verdict: 'error' });

function outcomeOf(resolved: Extract<ResolvedPath, { ok: false }>): ToolOutcome {
  return resolved.reason.startsWith('refused:') ? refused(resolved.reason) : failed(resolved.reason);
}

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function numbered(lines: readonly string[], firstLine: number, width: number): string {
  return lines
    .map((line, i) => {
      const shown = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… [line cut]` : line;
      return `${String(firstLine + i).padStart(width)}\t${shown}`;
    })
    .join('\n');
}

async function kindOf(abs: string): Promise<'file' | 'dir' | 'other' | undefined> {
  try {
    const info = await stat(abs);
    return info.isFile() ? 'file' : info.isDirectory() ? 'dir' : 'other';
  } catch {
    return undefined;
  }
}

async function readText(
  resolved: Extract<ResolvedPath, { ok: true }>,
  shown: string,
): Promise<{ text: string } | { outcome: ToolOutcome }> {
  const kind = await kindOf(resolved.abs);
  if (kind === undefined) return { outcome: failed(`error: ${shown} does not exist`) };
  if (kind === 'dir') return { outcome: failed(`error: ${shown} is a directory (use list_files)`) };
  if (kind === 'other') return { outcome: failed(`error: ${shown} is not a regular file`) };
  const info = await stat(resolved.abs);
  if (info.size > READ_MAX_FILE_BYTES) {
    return {
      outcome: failed(`error: ${shown} is too large to read (${info.size} bytes; search it instead)`),
    };
  }
  const bytes = await readFile(resolved.abs);
  if (isBinary(bytes)) return { outcome: failed(`error: ${shown} is a binary file`) };
  return { text: bytes.toString('utf8') };
}

export async function listFiles(ctx: ReadContext, input: ListFilesInput): Promise<ToolOutcome> {
  const resolved = await resolveInWorktree(ctx.worktree, input.path ?? '.');
  if (!resolved.ok) return outcomeOf(resolved);
  const kind = await kindOf(resolved.abs);
  if (kind === undefined) return failed(`error: ${resolved.rel} does not exist`);
  const root = await realpath(ctx.worktree);
  const files = await listWorktreeFiles(root, resolved.realRel);
  const where = resolved.rel === '.' ? 'the worktree' : resolved.rel;
  if (files.length === 0) return ok(`no files under ${where} (it is empty or git-ignored)`);
  const shown = files.slice(0, LIST_MAX_ENTRIES);
  const lines = [`${files.length} file${files.length === 1 ? '' : 's'} under ${where}:`, ...shown];
  if (files.length > shown.length) {
    lines.push(`… ${files.length - shown.length} more (list a subdirectory to see them)`);
  }
  return ok(lines.join('\n'));
}

export async function readFileTool(ctx: ReadContext, input: ReadFileInput): Promise<ToolOutcome> {
  const resolved = await resolveInWorktree(ctx.worktree, input.path);
  if (!resolved.ok) return outcomeOf(resolved);
  const read = await readText(resolved, resolved.rel);
  if ('outcome' in read) return read.outcome;
  const lines = splitLines(read.text);
  const total = lines.length;
  if (total === 0) return ok(`${resolved.rel} is empty (0 lines)`);
  const offset = input.offset ?? 1;
  const limit = input.limit ?? READ_FILE_DEFAULT_LIMIT;
  if (offset > total) {
    return failed(`error: offset ${offset} is past the end of ${resolved.rel} (${total} lines)`);
  }
  const last = Math.min(total, offset + limit - 1);
  const parts = [
    `${resolved.rel} (lines ${offset}-${last} of ${total})`,
    numbered(lines.slice(offset - 1, last), offset, String(last).length),
  ];
  if (last < total) parts.push(`… ${total - last} more lines (read_file with offset ${last + 1})`);
  return ok(parts.join('\n'));
}

interface SearchMatch {
  file: string;
  line: number;
  text: string;
}

interface SearchReport {
  matches: SearchMatch[];
  more: number;
  filesWithMatches: number;
  skippedLarge: number;
}

/**
 * Runs in a worker thread so that a catastrophic pattern (`(a+)+$`) can be stopped: the model's
 * regex never blocks the factory's event loop.
 */
const SEARCH_WORKER = `
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');
const { root, files, pattern, max, maxBytes, lineChars } = workerData;
const re = new RegExp(pattern);
const matches = [];
let more = 0, filesWithMatches = 0, skippedLarge = 0;
for (const file of files) {
  let bytes;
  try {
    if (statSync(join(root, file)).size > maxBytes) { skippedLarge++; continue; }
    bytes = readFileSync(join(root, file));
  } catch { continue; }
  if (bytes.subarray(0, 8000).includes(0)) continue;
  const lines = bytes.toString('utf8').split('\\n');
  let found = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = re.exec(line);
    if (!m) continue;
    found = true;
    if (matches.length >= max) { more++; continue; }
    let text = line.replace(/\\r$/, '');
    if (text.length > lineChars) {
      const start = Math.max(0, Math.min(m.index - 40, text.length - lineChars));
      text = (start > 0 ? '…' : '') + text.slice(start, start + lineChars) + (start + lineChars < text.length ? '…' : '');
    }
    matches.push({ file, line: i + 1, text });
  }
  if (found) filesWithMatches++;
}
parentPort.postMessage({ matches, more, filesWithMatches, skippedLarge });
`;

function runSearch(
  root: string,
  files: string[],
  pattern: string,
  timeoutMs: number,
): Promise<{ report: SearchReport } | { error: string }> {
  return new Promise((resolve) => {
    const worker = new Worker(SEARCH_WORKER, {
      eval: true,
      workerData: {
        root,
        files,
        pattern,
        max: SEARCH_MAX_MATCHES,
        maxBytes: SEARCH_MAX_FILE_BYTES,
        lineChars: SEARCH_LINE_CHARS,
      },
    });
    let done = false;
    const settle = (value: { report: SearchReport } | { error: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(value);
    };
    const timer = setTimeout(
      () =>
        settle({
          error: `error: the search took over ${timeoutMs / 1000} s and was stopped (simplify the pattern)`,
        }),
      timeoutMs,
    );
    worker.once('message', (report: SearchReport) => settle({ report }));
    worker.once('error', (err) => settle({ error: `error: the search failed: ${err.message}` }));
    worker.once('exit', () => settle({ error: 'error: the search stopped without a result' }));
  });
}

export async function search(ctx: ReadContext, input: SearchInput): Promise<ToolOutcome> {
  try {
    new RegExp(input.pattern);
  } catch (err) {
    return failed(`error: invalid regular expression: ${(err as Error).message}`);
  }
  const resolved = await resolveInWorktree(ctx.worktree, input.path ?? '.');
  if (!resolved.ok) return outcomeOf(resolved);
  if ((await kindOf(resolved.abs)) === undefined) return failed(`error: ${resolved.rel} does not exist`);
  const root = await realpath(ctx.worktree);
  const files = await listWorktreeFiles(root, resolved.realRel);
  const result = await runSearch(root, files, input.pattern, ctx.searchTimeoutMs ?? SEARCH_TIMEOUT_MS);
  if ('error' in result) return failed(result.error);
  const { matches, more, filesWithMatches, skippedLarge } = result.report;
  const where = resolved.rel === '.' ? 'the worktree' : resolved.rel;
  const skipped = skippedLarge > 0 ? ` (${skippedLarge} file(s) over 1 MB not searched)` : '';
  if (matches.length === 0)
    return ok(`no matches for /${input.pattern}/ in ${files.length} files under ${where}${skipped}`);
  const total = matches.length + more;
  const lines = [
    `${total} match${total === 1 ? '' : 'es'} in ${filesWithMatches} file${filesWithMatches === 1 ? '' : 's'} under ${where}${skipped}:`,
    ...matches.map((m) => `${m.file}:${m.line}: ${m.text}`),
  ];
  if (more > 0) lines.push(`… ${more} more matches not shown (narrow the pattern or the path)`);
  return ok(lines.join('\n'));
}

/** The policy's verdict on writing `resolved` (checked at the path as written and where it really lands). */
function writeRefusal(
  policy: Policy,
  resolved: Extract<ResolvedPath, { ok: true }>,
): { appendOnly: boolean } | ToolOutcome {
  if (resolved.rel === '.') return failed('error: the worktree root is a directory');
  let appendOnly = false;
  for (const rel of new Set([resolved.rel, resolved.realRel])) {
    const decision = decideWrite(policy, rel);
    if (!decision.allowed) {
      const via = rel === resolved.rel ? '' : ` (${resolved.rel} is a symlink to it)`;
      return refused(`refused: ${decision.message}${via}`);
    }
    appendOnly ||= decision.appendOnly;
  }
  return { appendOnly };
}

async function commit(
  resolved: Extract<ResolvedPath, { ok: true }>,
  appendOnly: boolean,
  content: string,
): Promise<ToolOutcome | undefined> {
  const kind = await kindOf(resolved.abs);
  if (kind === 'dir') return failed(`error: ${resolved.rel} is a directory`);
  if (kind === 'other') return failed(`error: ${resolved.rel} is not a regular file`);
  if (appendOnly) {
    if (kind === undefined) return refused(`refused: ${resolved.rel} is append-only and may not be created`);
    const before = await readFile(resolved.abs, 'utf8');
    const check = checkAppendOnly(before, content);
    if (!check.ok) {
      return refused(
        `refused: ${resolved.rel} is append-only (lines may only be added at the end): ${check.reason}`,
      );
    }
  }
  await mkdir(path.dirname(resolved.abs), { recursive: true });
  await writeFile(resolved.abs, content, 'utf8');
  return undefined;
}

export async function writeFileTool(ctx: WriteContext, input: WriteFileInput): Promise<ToolOutcome> {
  const resolved = await resolveInWorktree(ctx.worktree, input.path);
  if (!resolved.ok) return outcomeOf(resolved);
  const decision = writeRefusal(ctx.policy, resolved);
  if ('verdict' in decision) return decision;
  if (Buffer.byteLength(input.content, 'utf8') > WRITE_MAX_BYTES) {
    return failed(`error: the content is over ${WRITE_MAX_BYTES} bytes`);
  }
  const existed = (await kindOf(resolved.abs)) !== undefined;
  const problem = await commit(resolved, decision.appendOnly, input.content);
  if (problem) return problem;
  const lines = splitLines(input.content).length;
  return ok(`${existed ? 'overwrote' : 'created'} ${resolved.rel} (${lines} line${lines === 1 ? '' : 's'})`);
}

function countOccurrences(text: string, needle: string): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
    if (count === 0) first = at;
    count++;
  }
  return { count, first };
}

export async function editFile(ctx: WriteContext, input: EditFileInput): Promise<ToolOutcome> {
  const resolved = await resolveInWorktree(ctx.worktree, input.path);
  if (!resolved.ok) return outcomeOf(resolved);
  const decision = writeRefusal(ctx.policy, resolved);
  if ('verdict' in decision) return decision;
  const read = await readText(resolved, resolved.rel);
  if ('outcome' in read) return read.outcome;
  const { count, first } = countOccurrences(read.text, input.old_string);
  if (count === 0) {
    return failed(
      `error: old_string was not found in ${resolved.rel} (0 matches; whitespace and indentation must match exactly — read_file shows the text)`,
    );
  }
  if (count > 1) {
    return failed(
      `error: old_string matches ${count} times in ${resolved.rel}; include more surrounding lines so that it matches exactly once`,
    );
  }
  if (input.old_string === input.new_string) return failed('error: old_string and new_string are the same');
  const after =
    read.text.slice(0, first) + input.new_string + read.text.slice(first + input.old_string.length);
  const problem = await commit(resolved, decision.appendOnly, after);
  if (problem) return problem;

  const lines = splitLines(after);
  const startLine = read.text.slice(0, first).split('\n').length;
  const endLine = startLine + Math.max(0, input.new_string.split('\n').length - 1);
  const from = Math.max(1, startLine - EDIT_SNIPPET_CONTEXT);
  const to = Math.min(lines.length, endLine + EDIT_SNIPPET_CONTEXT, from + EDIT_SNIPPET_MAX_LINES - 1);
  const snippet = to >= from ? `\n${numbered(lines.slice(from - 1, to), from, String(to).length)}` : '';
  return ok(
    `edited ${resolved.rel} (lines ${startLine}-${endLine} replaced; ${lines.length} lines now):${snippet}`,
  );
}
