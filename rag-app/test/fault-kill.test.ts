/**
 * Faults, with the real processes: `kill -9` of `rag ingest`, and of `rag serve` while it loads
 * CORPUS_DIR at start-up and takes writes, at random points (seeded: FAULT_SEED replays a run), on
 * PGlite and (with DATABASE_URL) PostgreSQL. After every kill: the store opens, every video is
 * wholly present or absent, every acknowledged write is there, and the next run completes the load.
 * `pnpm test` runs one kill of each kind per store; `pnpm test:soak` (RAG_SOAK=1) many more.
 */
import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from '@dark-factory/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import {
  checkWhole,
  corpusSubset,
  expectedVideos,
  FAULT_SEED,
  postgresSchema,
  soak,
  spawnRag,
} from './support/faults.ts';
import { seedBlankStore } from './support/pglite-templates.ts';
import { ApiClient, tempDir, viaUrl } from './support/server-harness.ts';
import { CORPUS_DIR, mustHaveShared } from './support/stores.ts';

const ROUNDS = soak ? 8 : 1;
/**
 * Which kinds of kill run on which store: in `pnpm test` one of each kind (the server's on PGlite,
 * whose durability is the embedded store's own; the ingest's on PostgreSQL), both on both in the soak.
 */
const runs = (kind: 'ingest' | 'serve', store: string) =>
  soak || !process.env.DATABASE_URL || (kind === 'serve') === (store === 'pglite');
const TIMEOUT = soak ? 1_800_000 : 180_000;
const random = seededRandom(FAULT_SEED);
const tally = { faults: 0, acknowledged: 0, lost: 0, broken: 0 };

interface Target {
  name: string;
  /** Env for the child and options for openDb, for a store of its own. */
  make(
    tag: string,
  ): Promise<{ env: Record<string, string>; open: Parameters<typeof openDb>[0]; drop(): Promise<void> }>;
}

let tmp: ReturnType<typeof tempDir>;
let template: string;
let corpus: { small: string; large: string };
let expected: {
  small: Awaited<ReturnType<typeof expectedVideos>>;
  large: Awaited<ReturnType<typeof expectedVideos>>;
};

const targets: Target[] = [
  {
    name: 'pglite',
    async make(tag) {
      const dataDir = path.join(tmp.dir, tag);
      // A copy of a migrated empty store: a fresh PGlite directory costs seconds of initdb per process.
      cpSync(template, path.join(dataDir, 'pglite'), { recursive: true });
      return {
        env: { DATA_DIR: dataDir },
        open: { dataDir: path.join(dataDir, 'pglite') },
        drop: async () => undefined,
      };
    },
  },
];
if (process.env.DATABASE_URL) {
  const url = process.env.DATABASE_URL;
  targets.push({
    name: 'postgres',
    async make(tag) {
      const schema = await postgresSchema(url, `fault_${tag.replace(/\W/g, '_')}_${process.pid}`);
      return {
        env: { DATA_DIR: path.join(tmp.dir, tag), DATABASE_URL: schema.url },
        open: { databaseUrl: schema.url },
        drop: schema.drop,
      };
    },
  });
}

beforeAll(async () => {
  tmp = tempDir('rag-fault-kill');
  template = path.join(tmp.dir, 'template');
  // The blank store PGlite's initdb would make, copied (pglite-templates.ts), then migrated here.
  await seedBlankStore(template);
  const db = await openDb({ dataDir: template });
  await migrate(db);
  await db.close();
  corpus = {
    small: corpusSubset(CORPUS_DIR, path.join(tmp.dir, 'corpus-small'), 12),
    large: corpusSubset(CORPUS_DIR, path.join(tmp.dir, 'corpus-large'), soak ? 198 : 16),
  };
  expected = { small: await expectedVideos(corpus.small), large: await expectedVideos(corpus.large) };
});

afterAll(() => {
  // The counts the issue asks for, in the test output.
  console.info(`fault-kill (seed ${FAULT_SEED}): ${JSON.stringify(tally)}`);
  tmp?.remove();
});

/** Between two looks at a child that is loading: short beside a video's load, long beside a request. */
const pause = () => new Promise((r) => setTimeout(r, 25));

/** Matches once a progress line reports at least `n` of `total` done. */
function progressAtLeast(n: number, total: number): Pick<RegExp, 'exec'> {
  const re = new RegExp(`^(?:\\[(\\d+)/${total}\\]|ingest (\\d+)/${total}:)`, 'gm');
  return {
    exec(text: string) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) if (Number(m[1] ?? m[2]) >= n) return m;
      return null;
    },
  };
}

async function inspect(
  open: Parameters<typeof openDb>[0],
  want: Map<string, { hash: string; chunks: number }>,
) {
  const db = await openDb(open);
  try {
    await migrate(db);
    return { ...(await checkWhole(db, want)), db };
  } catch (err) {
    await db.close();
    throw err;
  }
}

describe.skipIf(!mustHaveShared && !existsSync(CORPUS_DIR)).each(targets)('kill -9 on $name', (target) => {
  it.runIf(runs('ingest', target.name))(
    `of \`rag ingest\` at random points (${ROUNDS}×): the store opens, videos whole or absent, the next run completes`,
    async () => {
      const store = await target.make(`ingest-${target.name}`);
      const total = expected.small.size;
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const killAt = 1 + Math.floor(random() * (total - 2));
          const child = spawnRag(['ingest', '--corpus', corpus.small], store.env);
          // Progress lines (`[k/N] added …`, or `ingest k/N: …` every tenth) tell how far it got.
          await child.waitFor(progressAtLeast(killAt, total));
          await child.kill9();
          tally.faults++;
          const after = await inspect(store.open, expected.small);
          await after.db.close();
          if (after.broken.length) tally.broken++;
          expect(after.broken).toEqual([]);
          expect(after.present).toBeGreaterThanOrEqual(killAt);

          const resume = spawnRag(['ingest', '--json', '--corpus', corpus.small], store.env);
          expect(await resume.exited).toBe(0);
          const summary = JSON.parse(resume.stdout()) as { added: number; skipped: number; failed: number };
          expect(summary).toMatchObject({ added: total - after.present, skipped: after.present, failed: 0 });
          const done = await inspect(store.open, expected.small);
          try {
            expect([done.present, done.broken]).toEqual([total, []]);
            // The next round starts from an empty store again.
            await done.db.query('DELETE FROM videos');
          } finally {
            await done.db.close();
          }
        }
      } finally {
        await store.drop();
      }
    },
    TIMEOUT,
  );

  it.runIf(runs('serve', target.name))(
    `of \`rag serve\` during its start-up load and under write load (${ROUNDS}×): acknowledged writes kept, the load resumes`,
    async () => {
      const store = await target.make(`serve-${target.name}`);
      const total = expected.large.size;
      const env = { ...store.env, CORPUS_DIR: corpus.large, IP_RATE_PER_MINUTE: '100000' };
      const acknowledged: string[] = [];
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const server = spawnRag(['serve'], env);
          const url = (await server.waitFor(/rag-app listening on (http:\/\/\S+)/))[1]!;
          const client = new ApiClient(viaUrl(url));
          if (round === 0) await client.signup(`writer-${target.name}@example.com`);
          else {
            await client.me();
            await client.json('/api/auth/login', {
              json: { email: `writer-${target.name}@example.com`, password: 'correct horse battery' },
            });
          }
          // Two writers, each keeping the ids the server acknowledged (201).
          let writing = true;
          const writer = async (w: number) => {
            for (let i = 0; writing; i++) {
              const res = await client
                .json<{ id: string }>('/api/conversations', { json: { title: `r${round} w${w} #${i}` } })
                .catch(() => null);
              if (res?.status === 201) acknowledged.push(res.body.id);
              else if (res === null) return;
            }
          };
          const writers = [writer(1), writer(2)];
          // Kill when the load has read a random share of the files (or after it, if it was faster).
          const killAt = round === 0 ? 2 : 1 + Math.floor(random() * (total - 2));
          const before = acknowledged.length;
          for (;;) {
            // Paced: a poll with no pause would take the CPU the load under test needs (2 cores).
            await pause();
            if (acknowledged.length - before < 3) continue;
            const r = await fetch(`${url}/readyz`).then(
              (x) => x.json() as Promise<{ loaded?: number; ready?: boolean }>,
            );
            if (r.ready || (r.loaded ?? 0) >= killAt) break;
          }
          await server.kill9();
          writing = false;
          await Promise.all(writers);
          tally.faults++;

          const after = await inspect(store.open, expected.large);
          const kept = await after.db.query<{ id: string }>(
            'SELECT id FROM conversations WHERE id = ANY($1::uuid[])',
            [acknowledged],
          );
          await after.db.close();
          tally.lost += acknowledged.length - kept.rows.length;
          if (after.broken.length) tally.broken++;
          expect(after.broken).toEqual([]);
          expect(kept.rows.length).toBe(acknowledged.length);
        }
        tally.acknowledged += acknowledged.length;
        expect(acknowledged.length).toBeGreaterThan(0);

        // A last start: the load resumes and finishes; readyz says so only then.
        const server = spawnRag(['serve'], env);
        const url = (await server.waitFor(/rag-app listening on (http:\/\/\S+)/))[1]!;
        for (;;) {
          const res = await fetch(`${url}/readyz`);
          if (res.status === 200) break;
          const body = (await res.json()) as { error: { code: string } };
          expect(['corpus_loading', 'corpus_incomplete']).toContain(body.error.code);
          await pause();
        }
        const status = await fetch(`${url}/readyz`).then((r) => r.json() as Promise<{ videos: number }>);
        expect(status.videos).toBe(total);
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
        const done = await inspect(store.open, expected.large);
        const runs = await done.db.query<{ status: string }>(
          `SELECT status FROM sync_runs WHERE trigger = 'bootstrap' ORDER BY id`,
        );
        await done.db.close();
        expect([done.present, done.broken]).toEqual([total, []]);
        // Every killed load reads as interrupted, none as running; the last one finished.
        expect(runs.rows.at(-1)?.status).toBe('done');
        expect(runs.rows.filter((r) => r.status === 'running')).toEqual([]);
      } finally {
        await store.drop();
      }
    },
    TIMEOUT,
  );
});
