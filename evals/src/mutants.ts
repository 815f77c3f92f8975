import { seededRandom } from '@dark-factory/kit';
import type { AskResult, SearchHit } from '@dark-factory/rag-app';
import type { CallOptions, RagClient } from './client.ts';
import { callFor, type LoadedCase } from './dataset.ts';
import { evaluateGate, type GateConfig, type GateResult } from './gate.ts';
import { type RunLogger, runCases } from './runner.ts';
import { summarize } from './summarize.ts';
import type { Summary } from './summary.ts';

export interface MutantContext {
  rng: () => number;
  /** Video ids to draw random retrieval from. */
  videoIds: string[];
}

/** A deliberately broken variant of the system under test. */
export interface Mutant {
  name: string;
  description: string;
  wrap(client: RagClient, ctx: MutantContext): RagClient;
}

const link = (videoId: string, second: number) =>
  `https://youtu.be/${videoId}?t=${Math.max(0, Math.floor(second))}`;

function mapSearch(client: RagClient, f: (hits: SearchHit[]) => SearchHit[]): RagClient {
  return { search: async (q, o) => f(await client.search(q, o)), ask: (q, o) => client.ask(q, o) };
}

function mapAsk(client: RagClient, f: (r: AskResult) => AskResult): RagClient {
  return { search: (q, o) => client.search(q, o), ask: async (q, o) => f(await client.ask(q, o)) };
}

function pick<T>(rng: () => number, xs: T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

function otherVideo(ctx: MutantContext, not: string): string {
  const pool = ctx.videoIds.filter((v) => v !== not);
  return pool.length ? pick(ctx.rng, pool) : `random-${Math.floor(ctx.rng() * 1e9)}`;
}

export const MUTANTS: Mutant[] = [
  {
    name: 'citations-dropped',
    description: 'answers come back without citations',
    wrap: (client) => mapAsk(client, (r) => ({ ...r, citations: [] })),
  },
  {
    name: 'hits-shuffled',
    description: 'search results in random order',
    wrap: (client, ctx) =>
      mapSearch(client, (hits) => {
        const out = [...hits];
        for (let i = out.length - 1; i > 0; i--) {
          const j = Math.floor(ctx.rng() * (i + 1));
          [out[i], out[j]] = [out[j]!, out[i]!];
        }
        return out;
      }),
  },
  {
    name: 'random-videos',
    description: 'retrieval returns passages of random videos',
    wrap: (client, ctx) => {
      const searched = mapSearch(client, (hits) =>
        hits.map((h) => {
          const videoId = otherVideo(ctx, h.videoId);
          return { ...h, videoId, url: link(videoId, h.citeStart) };
        }),
      );
      return mapAsk(searched, (r) => ({
        ...r,
        citations: r.citations.map((c) => {
          const videoId = otherVideo(ctx, c.videoId);
          return { ...c, videoId, url: link(videoId, c.start) };
        }),
      }));
    },
  },
  {
    name: 'refuse-always',
    description: 'every question is refused',
    wrap: (client) => ({
      search: (q, o) => client.search(q, o),
      ask: async () => ({
        answer: "I don't know: the videos do not cover this.",
        refused: true,
        citations: [],
        timings: { retrieveMs: 0, answerMs: 0 },
      }),
    }),
  },
  {
    name: 'refuse-never',
    description: 'never refuses, whatever the retrieval found',
    wrap: (client) => mapAsk(client, (r) => ({ ...r, refused: false })),
  },
  {
    name: 'links-shifted',
    description: 'deep links (and cited spans) 60 s late',
    wrap: (client) => {
      const searched = mapSearch(client, (hits) =>
        hits.map((h) => ({ ...h, citeStart: h.citeStart + 60, url: link(h.videoId, h.citeStart + 60) })),
      );
      return mapAsk(searched, (r) => ({
        ...r,
        citations: r.citations.map((c) => ({
          ...c,
          start: c.start + 60,
          end: c.end + 60,
          url: link(c.videoId, c.start + 60),
        })),
      }));
    },
  },
];

/**
 * A stratified, seeded sample: every kind keeps at least `minPerKind` cases (or all it has), the
 * rest in proportion. Input order is preserved.
 */
export function sampleCases<C extends { kind: string }>(
  cases: C[],
  size: number,
  seed: number,
  minPerKind = 40,
): C[] {
  if (size >= cases.length) return cases;
  const byKind = new Map<string, number[]>();
  cases.forEach((c, i) => {
    const list = byKind.get(c.kind) ?? [];
    list.push(i);
    byKind.set(c.kind, list);
  });
  const quota = new Map<string, number>();
  for (const [kind, idx] of byKind) {
    quota.set(
      kind,
      Math.min(idx.length, Math.max(minPerKind, Math.round((size * idx.length) / cases.length))),
    );
  }
  let over = [...quota.values()].reduce((s, q) => s + q, 0) - size;
  while (over > 0) {
    const [kind, q] = [...quota].sort((a, b) => b[1] - a[1])[0]!;
    if (q <= minPerKind) break;
    const cut = Math.min(over, q - minPerKind);
    quota.set(kind, q - cut);
    over -= cut;
  }
  const rng = seededRandom(seed);
  const keep = new Set<number>();
  for (const [kind, idx] of byKind) {
    const shuffled = [...idx];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    for (const i of shuffled.slice(0, quota.get(kind))) keep.add(i);
  }
  return cases.filter((_, i) => keep.has(i));
}

/**
 * Remembers the system's answers so each mutant transforms the same outputs without calling the
 * system again. Answers are deep-copied, so a mutant cannot alter the cache.
 */
export function recordingClient(client: RagClient): RagClient {
  const cache = new Map<string, Promise<unknown>>();
  const memo = <T>(key: string, call: () => Promise<T>): Promise<T> => {
    let p = cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = call();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p.then((v) => structuredClone(v));
  };
  return {
    search: (q: string, o: CallOptions) => memo(`s\u0000${o.k ?? ''}\u0000${q}`, () => client.search(q, o)),
    ask: (q: string, o: CallOptions) => memo(`a\u0000${o.k ?? ''}\u0000${q}`, () => client.ask(q, o)),
  };
}

/** The gate as the mutation check applies it: only the drop rules (not floors or latency). */
export function dropOnly(config: GateConfig): GateConfig {
  const metrics = Object.fromEntries(
    Object.entries(config.metrics)
      .filter(([, r]) => r.maxDrop !== undefined)
      .map(([m, r]) => [m, { maxDrop: r.maxDrop }]),
  );
  return { ...config, metrics, latency: undefined };
}

export interface MutationOutcome {
  name: string;
  description: string;
  /** The gate failed, as it must. */
  killed: boolean;
  gate: GateResult;
  candidate: Summary;
}

export interface MutationReport {
  ok: boolean;
  cases: number;
  baseline: Summary;
  /** A second, unmutated run: the gate must pass it, or it is failing everything. */
  control: { pass: boolean; gate: GateResult };
  mutants: MutationOutcome[];
}

export interface MutationOptions {
  client: RagClient;
  config: GateConfig;
  mutants?: Mutant[];
  concurrency?: number;
  seed?: number;
  dataset?: string[];
  logger?: RunLogger;
  onRun?: (name: string, index: number, total: number) => void;
  onCase?: (done: number, total: number) => void;
}

/** Runs the suite on the system and on each mutant; every mutant must fail the gate. */
export async function runMutationCheck(
  cases: LoadedCase[],
  options: MutationOptions,
): Promise<MutationReport> {
  const mutants = options.mutants ?? MUTANTS;
  const config = dropOnly(options.config);
  const info = { dataset: options.dataset ?? [], holdout: false };
  const total = mutants.length + 2;
  const recorded = recordingClient(options.client);
  const run = async (client: RagClient) =>
    summarize(
      await runCases(cases, {
        client,
        concurrency: options.concurrency,
        logger: options.logger,
        onCase: options.onCase ? (d, t) => options.onCase!(d, t) : undefined,
      }),
      info,
    );

  options.onRun?.('baseline', 1, total);
  const baseline = await run(recorded);
  options.onRun?.('control', 2, total);
  const control = evaluateGate(baseline, await run(options.client), config);

  const videoIds = [
    ...new Set(
      cases
        .flatMap((c) => [...(c.gold ?? []).map((g) => g.videoId)])
        .concat(
          (baseline.results ?? []).flatMap((r) =>
            [...(r.top ?? []), ...(r.citations ?? [])].map((x) => x.videoId),
          ),
        ),
    ),
  ];
  const outcomes: MutationOutcome[] = [];
  for (const [i, m] of mutants.entries()) {
    options.onRun?.(m.name, i + 3, total);
    const ctx = { rng: seededRandom((options.seed ?? 1) + i), videoIds };
    const candidate = await run(m.wrap(recorded, ctx));
    const gate = evaluateGate(baseline, candidate, config);
    outcomes.push({ name: m.name, description: m.description, killed: !gate.pass, gate, candidate });
  }
  return {
    ok: control.pass && outcomes.every((o) => o.killed),
    cases: cases.length,
    baseline,
    control: { pass: control.pass, gate: control },
    mutants: outcomes,
  };
}

/** Whether the sample exercises both calls: a mutant of a call the sample never makes cannot fail. */
export function callsCovered(cases: LoadedCase[]): { search: boolean; ask: boolean } {
  return { search: cases.some((c) => callFor(c) === 'search'), ask: cases.some((c) => callFor(c) === 'ask') };
}
