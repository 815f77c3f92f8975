import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { FactoryError } from '../errors.ts';
import type { RunStore } from './types.ts';

/** A lease owner id: `<hostname>:<pid>:<random>` — unique per process and per attempt. */
export function leaseOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export interface LeaseKeeperOptions {
  store: Pick<RunStore, 'heartbeat'>;
  runId: string;
  owner: string;
  ttlMs: number;
  logger: Logger;
  /** Heartbeat period; default ttl/3, so two beats may fail before the lease can expire. */
  intervalMs?: number;
}

/**
 * Keeps a run's lease alive while the engine works on it. `signal` aborts (reason: a
 * `FactoryError('lease_lost')`) when a heartbeat reports the lease gone — someone took the run over
 * after it expired, or it ended — or when no heartbeat has succeeded for a whole ttl (the store is
 * unreachable, so by the database's clock the lease may already have expired). The engine passes
 * `signal` to everything it awaits and stops writing as soon as it fires.
 */
export class LeaseKeeper {
  readonly #controller = new AbortController();
  readonly #options: LeaseKeeperOptions;
  readonly #timer: NodeJS.Timeout;
  #inflight: Promise<void> | undefined;
  #lastSuccess = performance.now();
  #stopped = false;

  constructor(options: LeaseKeeperOptions) {
    if (!Number.isInteger(options.ttlMs) || options.ttlMs <= 0) {
      throw new FactoryError(
        'store_error',
        `lease ttl must be a positive integer of ms, got ${options.ttlMs}`,
        {},
      );
    }
    this.#options = options;
    const interval = Math.max(1, Math.floor(options.intervalMs ?? options.ttlMs / 3));
    this.#timer = setInterval(() => this.#beat(), interval);
    // The keeper never keeps a process alive on its own.
    this.#timer.unref();
  }

  /** Aborts when the lease is lost; `signal.reason` is the FactoryError saying why. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get lost(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Stops the heartbeats and waits for one in flight. Does not release the lease (finishRun/releaseLease do). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#inflight;
  }

  #beat(): void {
    if (this.#inflight || this.#stopped || this.lost) return;
    const { store, runId, owner, ttlMs, logger } = this.#options;
    const startedAt = performance.now();
    this.#inflight = (async () => {
      try {
        const held = await store.heartbeat(runId, owner, ttlMs);
        if (this.#stopped) return;
        if (!held) {
          this.#lose(
            new FactoryError(
              'lease_lost',
              `run ${runId}: the lease is no longer ours (taken over after expiry, or the run ended)`,
              {
                runId,
                owner,
              },
            ),
          );
          return;
        }
        this.#lastSuccess = startedAt;
      } catch (err) {
        const silentFor = performance.now() - this.#lastSuccess;
        logger.warn({ runId, owner, err, silentForMs: Math.round(silentFor) }, 'lease heartbeat failed');
        if (!this.#stopped && silentFor >= ttlMs) {
          this.#lose(
            new FactoryError(
              'lease_lost',
              `run ${runId}: no heartbeat succeeded for ${ttlMs} ms; the lease may have expired`,
              {
                runId,
                owner,
              },
              { cause: err },
            ),
          );
        }
      } finally {
        this.#inflight = undefined;
      }
    })();
  }

  #lose(reason: FactoryError): void {
    clearInterval(this.#timer);
    this.#options.logger.error({ runId: this.#options.runId, owner: this.#options.owner }, reason.message);
    this.#controller.abort(reason);
  }
}
