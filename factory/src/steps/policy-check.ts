import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { checkAppendOnly, checkChangedPaths, isAppendOnly } from '../policy/paths.ts';
import type { Policy } from '../policy/schema.ts';
import { diffAgainstBase } from '../workspace/diff.ts';
import { checkTestIntegrity, isTestFile, readAtRef } from '../workspace/tests-guard.ts';
import type { DiffSummary, Worktree } from '../workspace/types.ts';

/** The rules of mission.md that a diff alone decides: paths, append-only files, size, tests kept. */
export const PolicyCheckSchema = z.object({
  ok: z.boolean(),
  files: z.number().int(),
  changedLines: z.number().int(),
  pathViolations: z.array(z.object({ path: z.string(), rule: z.string(), message: z.string() })),
  appendOnlyViolations: z.array(z.object({ path: z.string(), reason: z.string() })),
  size: z.object({ ok: z.boolean(), detail: z.string() }),
  tests: z.object({
    ok: z.boolean(),
    deletedTests: z.array(z.string()),
    assertionsBefore: z.number().int(),
    assertionsAfter: z.number().int(),
  }),
  /** One line per broken rule (what the fix round is told). */
  problems: z.array(z.string()),
});
export type PolicyCheck = z.infer<typeof PolicyCheckSchema>;

export async function checkPolicyOnDiff(options: {
  repo: string;
  worktree: Worktree;
  policy: Policy;
}): Promise<{ check: PolicyCheck; diff: DiffSummary }> {
  const { repo, worktree, policy } = options;
  const diff = await diffAgainstBase(worktree);
  const pathViolations = checkChangedPaths(policy, diff.files);
  const appendOnlyViolations: PolicyCheck['appendOnlyViolations'] = [];
  for (const file of diff.files) {
    if (!isAppendOnly(policy, file.path) || file.status === 'added') continue;
    if (file.status !== 'modified') {
      appendOnlyViolations.push({ path: file.path, reason: `${file.status} (only appends are allowed)` });
      continue;
    }
    const before = (await readAtRef(repo, worktree.baseSha, file.path)) ?? '';
    const after = await readFile(join(worktree.dir, file.path), 'utf8');
    const verdict = checkAppendOnly(before, after);
    if (!verdict.ok)
      appendOnlyViolations.push({ path: file.path, reason: verdict.reason ?? 'not an append' });
  }
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  for (const file of diff.files) {
    for (const path of [file.path, file.oldPath].filter((p): p is string => Boolean(p))) {
      if (!isTestFile(path)) continue;
      const old = await readAtRef(repo, worktree.baseSha, path);
      if (old !== null) before.set(path, old);
      const now = await readFile(join(worktree.dir, path), 'utf8').catch(() => null);
      if (now !== null) after.set(path, now);
    }
  }
  const tests = checkTestIntegrity(before, after, diff.files);
  const { maxChangedLines, maxFiles } = policy.limits;
  const sizeOk = diff.changedLines <= maxChangedLines && diff.files.length <= maxFiles;
  const size = {
    ok: sizeOk,
    detail: `${diff.changedLines} changed lines (max ${maxChangedLines}), ${diff.files.length} files (max ${maxFiles})`,
  };
  const problems = [
    ...pathViolations.map((v) => v.message),
    ...appendOnlyViolations.map((v) => `${v.path}: ${v.reason}`),
    ...(sizeOk ? [] : [`the change is too large: ${size.detail}`]),
    ...tests.deletedTests.map((p) => `test file deleted: ${p}`),
    ...(tests.assertionsAfter < tests.assertionsBefore
      ? [`assertions in test files went from ${tests.assertionsBefore} to ${tests.assertionsAfter}`]
      : []),
  ];
  const check: PolicyCheck = {
    ok: problems.length === 0,
    files: diff.files.length,
    changedLines: diff.changedLines,
    pathViolations,
    appendOnlyViolations,
    size,
    tests: {
      ok: tests.ok,
      deletedTests: tests.deletedTests,
      assertionsBefore: tests.assertionsBefore,
      assertionsAfter: tests.assertionsAfter,
    },
    problems,
  };
  return { check, diff };
}
