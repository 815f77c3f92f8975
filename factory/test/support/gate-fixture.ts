/**
 * A small, deterministic evals-gate fixture made from the shared data: a corpus slice of N videos and
 * stratified samples of the three dev sets restricted to cases the slice can answer, plus a sealed
 * holdout directory (other cases of the same sets, a HOLDOUT marker). Written outside any repository.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom, shuffled } from '@dark-factory/kit';
import { z } from 'zod';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../../..');

/** `$SHARED_DIR`, else `../shared` beside the repository (as .ci/run and the other packages find it). */
export function sharedDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SHARED_DIR ? path.resolve(env.SHARED_DIR) : path.resolve(REPO_ROOT, '..', 'shared');
}

/** In CI the shared data is a required fixture: a missing copy is a failure, never a skip. */
export const mustHaveShared = Boolean(process.env.CI) && !process.env.CI_ALLOW_MISSING_SHARED;

export function hasSharedData(dir = sharedDataDir()): boolean {
  return existsSync(path.join(dir, 'corpus', 'cole-medin')) && existsSync(path.join(dir, 'evals'));
}

const DEV_SETS = ['key-moments.dev.jsonl', 'concepts.dev.jsonl', 'answerability.dev.jsonl'] as const;

const GoldSchema = z.object({ videoId: z.string().min(1) }).passthrough();
const CaseSchema = z
  .object({ id: z.string().min(1), kind: z.string().min(1), query: z.string().min(1) })
  .extend({ gold: z.array(GoldSchema).optional() })
  .passthrough();
type Case = z.infer<typeof CaseSchema>;
const FactsSchema = z.object({ id: z.string(), gold: z.array(GoldSchema).optional() }).passthrough();
const ManifestSchema = z.array(z.object({ slug: z.string(), youtube_id: z.string() }).passthrough());

export interface GateFixtureOptions {
  /** The shared data directory (corpus/cole-medin, evals/). */
  sharedDir?: string;
  /** Where to write; must not be inside a repository the factory works on. */
  dir: string;
  /** Videos in the corpus slice. */
  videos?: number;
  /** Dev cases per set's main kind at most (fewer when the slice has fewer); other kinds keep their share. */
  casesPerKind?: number;
  /** Holdout cases per set's main kind at most (taken first, never overlapping the dev cases). */
  holdoutPerKind?: number;
  seed?: number;
  /** Where answerable cases' gold lives (evals merges it by id); default the repo's evals/datasets. */
  factsDir?: string;
}

export interface GateFixture {
  corpusDir: string;
  /** Absolute paths of the dev samples (same file names as the shared sets). */
  datasets: string[];
  /** A directory with a HOLDOUT marker and the holdout samples. */
  holdoutDir: string;
  holdoutDatasets: string[];
  /** YouTube ids of the slice. */
  videoIds: string[];
  devCasesByKind: Record<string, number>;
  holdoutCasesByKind: Record<string, number>;
}

async function readJsonl<T>(file: string, schema: z.ZodType<T>): Promise<T[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const parsed = schema.safeParse(JSON.parse(l));
      if (!parsed.success) throw new Error(`${file}:${i + 1}: ${parsed.error.issues[0]?.message}`);
      return parsed.data;
    });
}

const goldVideos = (c: Case, facts: Map<string, Case['gold']>): Set<string> =>
  new Set((c.gold ?? facts.get(c.id) ?? []).map((g) => g.videoId));

/**
 * Picks `n` videos so that as many concept and answerable cases as possible have ALL their gold
 * videos in the slice (else their recall would be capped): greedily, alternating between the two
 * kinds, the case adding the fewest new videos first; then the videos with most key moments.
 */
export function chooseVideos(
  cases: Case[],
  facts: Map<string, Case['gold']>,
  n: number,
  corpusIds: Set<string>,
): string[] {
  const chosen = new Set<string>();
  const inCorpus = (c: Case) => [...goldVideos(c, facts)].every((v) => corpusIds.has(v));
  const pools = ['answerable', 'concept'].map((kind) =>
    cases
      .filter((c) => c.kind === kind && goldVideos(c, facts).size > 0 && inCorpus(c))
      .sort((a, b) => a.id.localeCompare(b.id)),
  );
  for (let changed = true; changed; ) {
    changed = false;
    for (const pool of pools) {
      let best: string[] | undefined;
      for (const c of pool) {
        const add = [...goldVideos(c, facts)].filter((v) => !chosen.has(v)).sort();
        if (!add.length || chosen.size + add.length > n) continue;
        if (!best || add.length < best.length) best = add;
      }
      if (best) {
        for (const v of best) chosen.add(v);
        changed = true;
      }
    }
  }
  const moments = new Map<string, number>();
  for (const c of cases)
    if (c.kind === 'key-moment')
      for (const v of goldVideos(c, facts)) moments.set(v, (moments.get(v) ?? 0) + 1);
  const rest = [...moments]
    .filter(([v]) => corpusIds.has(v) && !chosen.has(v))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  for (const [v] of rest) {
    if (chosen.size >= n) break;
    chosen.add(v);
  }
  return [...chosen].sort();
}

/** Writes the fixture; the same options always give the same files. */
export async function makeGateFixture(options: GateFixtureOptions): Promise<GateFixture> {
  const sharedDir = options.sharedDir ?? sharedDataDir();
  const n = options.videos ?? 12;
  const perKind = options.casesPerKind ?? 20;
  const holdoutPerKind = options.holdoutPerKind ?? Math.ceil(perKind / 2);
  const seed = options.seed ?? 1;
  const factsDir = options.factsDir ?? path.join(REPO_ROOT, 'evals', 'datasets');
  const sourceCorpus = path.join(sharedDir, 'corpus', 'cole-medin');
  if (!hasSharedData(sharedDir)) throw new Error(`no shared data at ${sharedDir} (set SHARED_DIR)`);

  const manifest = ManifestSchema.parse(
    JSON.parse(await readFile(path.join(sourceCorpus, 'manifest.json'), 'utf8')),
  );
  const files = new Set((await readdir(sourceCorpus)).filter((f) => f.endsWith('.md')));
  const slugOf = new Map(
    manifest.filter((m) => files.has(`${m.slug}.md`)).map((m) => [m.youtube_id, m.slug]),
  );

  const facts = new Map<string, Case['gold']>();
  for (const f of (await readdir(factsDir)).filter((x) => x.endsWith('.facts.jsonl')).sort())
    for (const e of await readJsonl(path.join(factsDir, f), FactsSchema)) if (e.gold) facts.set(e.id, e.gold);

  const sets = await Promise.all(
    DEV_SETS.map(async (name) => ({
      name,
      cases: await readJsonl(path.join(sharedDir, 'evals', name), CaseSchema),
    })),
  );
  const all = sets.flatMap((s) => s.cases);
  const videoIds = chooseVideos(all, facts, n, new Set(slugOf.keys()));
  const slice = new Set(videoIds);

  // A case the slice can answer: every gold video in it. Refusal cases have no gold: always kept.
  const eligible = (c: Case) => {
    const gold = goldVideos(c, facts);
    return c.kind === 'refusal' ? gold.size === 0 : gold.size > 0 && [...gold].every((v) => slice.has(v));
  };
  // Seeded, so the same seed gives the same fixture everywhere.
  const rng = seededRandom(seed);
  const dev = new Map<string, Case[]>();
  const held = new Map<string, Case[]>();
  const devByKind: Record<string, number> = {};
  const heldByKind: Record<string, number> = {};
  for (const set of sets) {
    // Stratified: the set's most common kind sets the sample sizes, every other kind keeps its
    // share of the set (rounded down; answerability is 3 answerable : 1 refusal), so the kind mix
    // and the figures that depend on it (refusalAccuracy) stay those of the full set.
    const total = new Map<string, number>();
    for (const c of set.cases) total.set(c.kind, (total.get(c.kind) ?? 0) + 1);
    const kinds = [...total.keys()].sort((a, b) => total.get(b)! - total.get(a)! || a.localeCompare(b));
    const primary = kinds[0]!;
    const pools = new Map(
      kinds.map((kind) => [
        kind,
        shuffled(
          set.cases.filter((c) => c.kind === kind && eligible(c)),
          rng,
        ),
      ]),
    );
    const primaryPool = pools.get(primary)!.length;
    // The holdout takes at most a third, so the dev sample keeps most of a small kind.
    const heldPrimary = Math.min(holdoutPerKind, Math.floor(primaryPool / 3));
    const devPrimary = Math.min(perKind, primaryPool - heldPrimary);
    const d: Case[] = [];
    const h: Case[] = [];
    for (const kind of kinds) {
      const pool = pools.get(kind)!;
      const share = total.get(kind)! / total.get(primary)!;
      const hn = Math.min(Math.floor(heldPrimary * share), pool.length);
      const dn = Math.min(Math.floor(devPrimary * share), pool.length - hn);
      h.push(...pool.slice(0, hn));
      d.push(...pool.slice(hn, hn + dn));
      devByKind[kind] = (devByKind[kind] ?? 0) + dn;
      heldByKind[kind] = (heldByKind[kind] ?? 0) + hn;
    }
    const order = new Map(set.cases.map((c, i) => [c.id, i]));
    const byFileOrder = (a: Case, b: Case) => order.get(a.id)! - order.get(b.id)!;
    dev.set(set.name, d.sort(byFileOrder));
    held.set(set.name, h.sort(byFileOrder));
  }

  const corpusDir = path.join(options.dir, 'corpus');
  const evalsDir = path.join(options.dir, 'evals');
  const holdoutDir = path.join(options.dir, 'holdout');
  for (const d of [corpusDir, evalsDir, holdoutDir]) await mkdir(d, { recursive: true });
  for (const id of videoIds) {
    const slug = slugOf.get(id)!;
    await copyFile(path.join(sourceCorpus, `${slug}.md`), path.join(corpusDir, `${slug}.md`));
  }
  const sliceManifest = manifest.filter((m) => slice.has(m.youtube_id));
  await writeFile(path.join(corpusDir, 'manifest.json'), `${JSON.stringify(sliceManifest, null, 2)}\n`);

  const jsonl = (cases: Case[]) => `${cases.map((c) => JSON.stringify(c)).join('\n')}\n`;
  const datasets: string[] = [];
  const holdoutDatasets: string[] = [];
  for (const [name, cases] of dev) {
    if (!cases.length) continue;
    const file = path.join(evalsDir, name);
    await writeFile(file, jsonl(cases));
    datasets.push(file);
  }
  for (const [name, cases] of held) {
    if (!cases.length) continue;
    const file = path.join(holdoutDir, name.replace('.dev.', '.holdout.'));
    await writeFile(file, jsonl(cases));
    holdoutDatasets.push(file);
  }
  await writeFile(
    path.join(holdoutDir, 'HOLDOUT'),
    'Sealed eval cases: only pass/fail and aggregate figures may leave this directory.\n',
  );
  return {
    corpusDir,
    datasets,
    holdoutDir,
    holdoutDatasets,
    videoIds,
    devCasesByKind: devByKind,
    holdoutCasesByKind: heldByKind,
  };
}
