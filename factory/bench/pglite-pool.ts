/**
 * Bench only: a node-postgres `Pool` look-alike over one PGlite instance, to find out whether
 * graphile-worker can run on the embedded default at all. graphile-worker accepts only a pg.Pool
 * (no adapter interface, graphile/worker#441), and PGlite is one session: a client holds the
 * session from its first statement until release() (so transactions do not interleave), LISTEN
 * maps to PGlite's in-process listen and holds nothing.
 */
import { EventEmitter } from 'node:events';
import type { PGlite } from '@electric-sql/pglite';

type QueryConfig = string | { text: string; values?: unknown[] };
type Callback = (err: Error | undefined, client?: PgliteClient, release?: () => void) => void;

class Mutex {
  #tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => {
      release = r;
    });
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => next);
    return ready;
  }
}

async function run(pglite: PGlite, config: QueryConfig, values?: unknown[]) {
  const text = typeof config === 'string' ? config : config.text;
  const params = typeof config === 'string' ? values : (config.values ?? values);
  if (params && params.length > 0) {
    const res = await pglite.query(text, params);
    return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
  }
  const results = await pglite.exec(text);
  const last = results.at(-1);
  return { rows: last?.rows ?? [], rowCount: last?.affectedRows ?? 0 };
}

class PgliteClient extends EventEmitter {
  #unlock: (() => void) | undefined;
  #unlisten: (() => Promise<void>)[] = [];
  constructor(
    private readonly pglite: PGlite,
    private readonly mutex: Mutex,
  ) {
    super();
  }

  async query(config: QueryConfig, values?: unknown[]) {
    const text = typeof config === 'string' ? config : config.text;
    const listen = [...text.matchAll(/\bLISTEN\s+"([^"]+)"/gi)].filter((m) => !/UNLISTEN/i.test(m[0]));
    if (/^\s*(UN)?LISTEN\b/i.test(text)) {
      if (/^\s*UNLISTEN/i.test(text)) {
        for (const off of this.#unlisten.splice(0)) await off();
      } else {
        for (const [, channel] of listen) {
          const off = await this.pglite.listen(channel as string, (payload) =>
            this.emit('notification', { channel, payload }),
          );
          this.#unlisten.push(off);
        }
      }
      return { rows: [], rowCount: 0 };
    }
    this.#unlock ??= await this.mutex.acquire();
    return run(this.pglite, config, values);
  }

  release() {
    const unlock = this.#unlock;
    this.#unlock = undefined;
    if (unlock) {
      // A client handed back mid-transaction must not leave the session in it.
      this.pglite
        .query('ROLLBACK')
        .catch(() => undefined)
        .finally(unlock);
    }
  }

  escapeIdentifier(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
  }
  escapeLiteral(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
  }
}

export class PglitePool extends EventEmitter {
  readonly #mutex = new Mutex();
  constructor(private readonly pglite: PGlite) {
    super();
  }

  connect(callback?: Callback): Promise<PgliteClient> | undefined {
    const client = new PgliteClient(this.pglite, this.#mutex);
    if (callback) {
      queueMicrotask(() => callback(undefined, client, () => client.release()));
      return undefined;
    }
    return Promise.resolve(client);
  }

  async query(config: QueryConfig, values?: unknown[]) {
    const unlock = await this.#mutex.acquire();
    try {
      return await run(this.pglite, config, values);
    } finally {
      unlock();
    }
  }

  async end(): Promise<void> {}
}
