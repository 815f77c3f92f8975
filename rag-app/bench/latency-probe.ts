/**
 * Measures ask (and search) latency against a running server, as a user sees it: one HTTP request
 * at a time, wall-clock from send to the last byte.
 *
 *   tsx rag-app/bench/latency-probe.ts http://127.0.0.1:3000 ../shared/evals/answerability.dev.jsonl [rounds]
 *
 * The server must allow the caller to ask (ALLOW_ANONYMOUS=1) and have cap and rate limits high enough.
 */
import { readFileSync } from 'node:fs';
import { percentileOfSorted } from '@dark-factory/kit';
import { z } from 'zod';

const line = z.object({ query: z.string() });

export interface LatencyFigures {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

export function figures(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: Math.round(percentileOfSorted(sorted, 0.5)),
    p95: Math.round(percentileOfSorted(sorted, 0.95)),
    max: Math.round(sorted.at(-1) ?? Number.NaN),
  };
}

async function timed(url: string, body: unknown): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - t0;
}

export async function probe(base: string, questions: string[], rounds = 1) {
  const ask: number[] = [];
  const search: number[] = [];
  // One warm-up request so the first one does not measure lazy start-up.
  await timed(`${base}/api/ask`, { question: questions[0] });
  for (let r = 0; r < rounds; r++) {
    for (const question of questions) {
      ask.push(await timed(`${base}/api/ask`, { question }));
      search.push(await timed(`${base}/api/search`, { query: question }));
    }
  }
  return { ask: figures(ask), search: figures(search) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [base, file, rounds] = process.argv.slice(2);
  if (!base || !file) {
    process.stderr.write('usage: latency-probe.ts <server url> <questions.jsonl> [rounds]\n');
    process.exit(2);
  }
  const questions = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => line.parse(JSON.parse(l)).query);
  const out = await probe(base.replace(/\/$/, ''), questions, Number(rounds ?? 1));
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
