/**
 * PGlite test stores copied from templates instead of made. PGlite's initdb costs 6–10 s of CPU a
 * store on 2 cores, more than most test files' tests together; copying a shut-down data directory
 * (~40 MB) and opening the copy costs about a fifth of that. Two kinds of template:
 *
 * - blank: what initdb leaves, no migration applied — the store `openPglite()` gives, so openRag
 *   still runs every migration on each copy. It is the app's own initdb cache
 *   (src/store/initdb-cache.ts: kept across runs under os.tmpdir(), keyed by the PGlite build).
 * - slice: a blank copy migrated by the real openRag with a slice of the shared corpus ingested
 *   (the same call openSliceRag makes). Kept for one vitest run only, in the run directory
 *   global-setup.ts provides (emptied on a watch-mode rerun), so a change to the chunker, the
 *   migrations or the corpus is never tested against a stale copy.
 *
 * Templates are built aside and renamed into place under a lock file (kit's buildOnce), so two
 * workers needing one build it once and never see half of it. Each copy is a directory of its own, removed on close.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildOnce } from '@dark-factory/kit/build-once';
import { inject } from 'vitest';
import type { Config } from '../../src/config.ts';
import { openRag } from '../../src/open.ts';
import type { Rag } from '../../src/rag.ts';
import { type Db, openPglite } from '../../src/store/db.ts';
import { DEFAULT_INITDB_CACHE, initdbTemplate } from '../../src/store/initdb-cache.ts';
import { CORPUS_DIR, corpusSlice, SHARED_DIR, SLICE } from './server-harness.ts';
import { type StoreTarget, storeTargets } from './stores.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A directory for this vitest run's templates (global-setup.ts). */
    ragAppTestRun: string;
  }
}

const exec = promisify(execFile);

/** Copies the contents of `from` into the (existing, empty) directory `to`. */
async function copyDir(from: string, to: string): Promise<void> {
  await exec('cp', ['-R', `${from}/.`, to]);
}

const memo = new Map<string, Promise<string>>();
function memoised(dir: string, build: (into: string) => Promise<void>): Promise<string> {
  let p = memo.get(dir);
  if (!p) {
    p = buildOnce(dir, build);
    // A failed build is not remembered: the next caller tries again (and reports its own error).
    p.catch(() => memo.delete(dir));
    memo.set(dir, p);
  }
  return p;
}

const hash = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);

/** The blank template: the app's own initdb cache (src/store/initdb-cache.ts), one per PGlite build. */
export function blankTemplate(): Promise<string> {
  return initdbTemplate(DEFAULT_INITDB_CACHE);
}

let fallbackRunDir: string | undefined;
/** This vitest run's directory (global-setup.ts), or one for this process when run without it. */
function runDir(): string {
  const provided = inject('ragAppTestRun');
  if (provided) return provided;
  if (!fallbackRunDir) {
    const dir = mkdtempSync(path.join(tmpdir(), 'rag-app-test-run-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    fallbackRunDir = dir;
  }
  return fallbackRunDir;
}

/**
 * A copy of `templateDir` opened by the real openPglite. Without the directory's owner claim in the
 * returned Db, so the app treats it as it treats the in-memory store the tests used to open (no
 * local API published); the claim itself still guards the directory until close, which removes it.
 */
async function openCopy(templateDir: string): Promise<Db> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rag-app-store-'));
  openCopies.add(dir);
  const remove = async () => {
    openCopies.delete(dir);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await copyDir(templateDir, dir);
    const { owner: _claim, ...db } = await openPglite(dir);
    return {
      ...db,
      async close() {
        try {
          await db.close();
        } finally {
          await remove();
        }
      },
    };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Copies a failed test never closed go when its process exits, as the in-memory stores did. */
const openCopies = new Set<string>();
process.once('exit', () => {
  for (const dir of openCopies) rmSync(dir, { recursive: true, force: true });
});

/** A fresh, never-migrated PGlite store: what `openPglite()` gives, without paying its initdb. */
export async function freshPglite(): Promise<Db> {
  return openCopy(await blankTemplate());
}

/** Fills the empty (or absent) directory `pgliteDir` with a blank store, for code that opens it itself. */
export async function seedBlankStore(pgliteDir: string): Promise<void> {
  const from = await blankTemplate();
  await mkdir(pgliteDir, { recursive: true });
  await copyDir(from, pgliteDir);
}

/** storeTargets() with the PGlite target's fresh store copied from the blank template. */
export function templateStoreTargets(): StoreTarget[] {
  return storeTargets().map((t) => (t.name === 'pglite' ? { ...t, open: freshPglite } : t));
}

function expectSlice(added: number, slugs: string[]): void {
  if (added !== slugs.length) {
    throw new Error(`expected ${slugs.length} videos from the corpus slice, got ${added} (${SHARED_DIR})`);
  }
}

/**
 * openSliceRag on a blank copy: the real openRag migrating a fresh store, the slice `slugs` ingested
 * into it. For a slice one test file uses (a slice template would cost that file more than it saves).
 */
export async function openSliceRagOnBlank(config: Config, slugs: string[] = SLICE): Promise<Rag> {
  const rag = await openRag(config, { db: await freshPglite() });
  try {
    expectSlice((await rag.ingest(corpusSlice(CORPUS_DIR, slugs))).added, slugs);
  } catch (err) {
    await rag.close();
    throw err;
  }
  return rag;
}

/**
 * openSliceRag from a template: the real openRag over a store holding the corpus slice `slugs`,
 * ingested once per vitest run (by openRag with `config`'s embedder, `none` in the tests) and copied
 * per call. For the slices several test files share; with another embedder the slice is ingested
 * afresh, as openSliceRag does.
 */
export async function openSliceRagFromTemplate(config: Config, slugs: string[] = SLICE): Promise<Rag> {
  if (config.EMBEDDER !== 'none') return openSliceRagOnBlank(config, slugs);
  const dir = path.join(runDir(), `slice-${hash({ CORPUS_DIR, slugs })}`);
  const from = await memoised(dir, async (into) => {
    await copyDir(await blankTemplate(), into);
    const rag = await openRag(config, { db: await openPglite(into) });
    try {
      expectSlice((await rag.ingest(corpusSlice(CORPUS_DIR, slugs))).added, slugs);
    } finally {
      await rag.close();
    }
  });
  const rag = await openRag(config, { db: await openCopy(from) });
  // The copy holds the slice, whole: the count the ingest checked when the template was made.
  const { videos } = await rag.stats();
  if (videos !== slugs.length) {
    await rag.close();
    throw new Error(`the slice template ${from} holds ${videos} videos, not ${slugs.length}`);
  }
  return rag;
}
