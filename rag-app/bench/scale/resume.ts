/**
 * Measures a scale schema left by a `--scale` run that was stopped during its scale-up (bench/run.ts
 * prints the schema's name when it starts): completes the copy (the postings key, the corpus
 * version, VACUUM ANALYZE) and measures that size as `benchScale` would, printing the figures as
 * JSON. `tsx bench/scale/resume.ts <schema>` with DATABASE_URL set; the schema is dropped after.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LsaEmbedder } from '../../src/embed/lsa-embedder.ts';
import { openPostgres } from '../../src/store/db.ts';
import { benchConfig } from '../http.ts';
import { pickQueries, readQueries } from '../queries.ts';
import { finishScaleUp } from './scale-up.ts';
import { measureSize } from './suite.ts';

const [schema] = process.argv.slice(2);
const url = process.env.DATABASE_URL;
if (!schema || !/^bench_scale_[0-9a-f]+$/.test(schema) || !url) {
  process.stderr.write('usage: DATABASE_URL=… tsx bench/scale/resume.ts bench_scale_<hex>\n');
  process.exit(2);
}
const say = (s: string) => process.stderr.write(`resume ${new Date().toISOString()}: ${s}\n`);
const u = new URL(url);
u.searchParams.set('options', `-c search_path=${schema},public`);
const db = await openPostgres(u.toString());
try {
  say('rebuilding the postings key, VACUUM ANALYZE');
  await finishScaleUp(db);
  const lsa = new LsaEmbedder();
  const shared = process.env.SHARED_DIR ?? path.resolve(import.meta.dirname, '../../../../shared');
  const queries = pickQueries(await readQueries(path.join(shared, 'evals/key-moments.dev.jsonl')), 100);
  const vectors: number[][] = [];
  for (const q of queries) {
    const v = await lsa.embedQuery(db, q);
    if (v) vectors.push(v);
  }
  const config = benchConfig(mkdtempSync(path.join(tmpdir(), 'rag-bench-r-')), {
    ...process.env,
    EMBEDDER: 'lsa',
  });
  const figures = await measureSize(
    db,
    { databaseUrl: url, config, corpusDir: '', queries, sizes: [] },
    lsa,
    vectors,
    lsa.dim()!,
    Number(process.env.SCALE_UP_SEC ?? 0),
    say,
  );
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  await db.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
  await db.close();
}
