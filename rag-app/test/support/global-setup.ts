/**
 * rag-app's vitest globalSetup: a directory for this run's test store templates
 * (pglite-templates.ts), emptied when watch mode reruns tests and removed at the end.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rag-app-test-run-'));
  project.provide('ragAppTestRun', dir);
  // A rerun may follow a change to the code that wrote the templates: they are made again.
  project.onTestsRerun(async () => {
    for (const entry of await readdir(dir)) await rm(path.join(dir, entry), { recursive: true, force: true });
  });
  return () => rm(dir, { recursive: true, force: true });
}
