/** The machine and versions a benchmark ran on, recorded beside its figures. */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openPostgres } from '../src/store/db.ts';

const PACKAGES = [
  '@langchain/core',
  '@langchain/community',
  '@langchain/textsplitters',
  'pgvector',
  'pg',
  '@electric-sql/pglite',
];

async function version(dir: string): Promise<string> {
  try {
    return (JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'not installed';
  }
}

export interface Environment {
  node: string;
  os: string;
  cpu: string;
  cpus: number;
  memoryGb: number;
  loadAverage: number[];
  packages: Record<string, string>;
  postgres: { server: string; pgvector: string } | null;
}

export async function describeEnvironment(databaseUrl: string | null): Promise<Environment> {
  const appDir = path.resolve(import.meta.dirname, '..');
  const packages: Record<string, string> = { '@dark-factory/rag-app': await version(appDir) };
  for (const p of PACKAGES) packages[p] = await version(path.join(appDir, 'node_modules', p));
  let postgres: Environment['postgres'] = null;
  if (databaseUrl) {
    const db = await openPostgres(databaseUrl);
    try {
      const v = await db.query<{ server: string; pgvector: string | null }>(
        "SELECT current_setting('server_version') AS server, (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector",
      );
      postgres = { server: v.rows[0]!.server, pgvector: v.rows[0]!.pgvector ?? 'not created' };
    } finally {
      await db.close();
    }
  }
  return {
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cpus: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
    packages,
    postgres,
  };
}

export function environmentLine(e: Environment): string {
  return (
    `node ${e.node}, ${e.cpu} x ${e.cpus}, ${e.memoryGb} GB, load ${e.loadAverage.join(' ')}` +
    (e.postgres ? `, PostgreSQL ${e.postgres.server} + pgvector ${e.postgres.pgvector}` : '') +
    `, @langchain/core ${e.packages['@langchain/core']}, @langchain/community ${e.packages['@langchain/community']}`
  );
}
