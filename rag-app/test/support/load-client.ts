/**
 * The load generator of load-ask.test.ts, run as a second process:
 *   node --import tsx rag-app/test/support/load-client.ts '<json array of phases>'
 * Each virtual user is a visitor of its own (its own cookies: a guest in anonymous mode). `burst`:
 * every user sends `perUser` requests at once. `timed`: every user asks one question after another
 * for `seconds`. Phases run one after another; prints one JSON line per phase: requests, counts by
 * status, per-user 200s, errors, p50/p95 ms.
 */
import { percentileOfSorted } from '@dark-factory/kit';

interface Options {
  url: string;
  mode: 'burst' | 'timed';
  users: number;
  perUser?: number;
  seconds?: number;
  path: string;
  body: Record<string, unknown>;
}

const phases = JSON.parse(process.argv[2] ?? '[]') as Options[];

async function user(options: Options, index: number) {
  let cookie = '';
  let csrf = '';
  const me = await fetch(`${options.url}/api/me`);
  cookie = me.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  csrf = ((await me.json()) as { csrfToken: string }).csrfToken;
  const latencies: number[] = [];
  const statuses: number[] = [];
  let errors = 0;
  const once = async () => {
    const started = performance.now();
    try {
      const res = await fetch(`${options.url}${options.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
        body: JSON.stringify(options.body),
      });
      const set = res.headers.getSetCookie();
      // The first act makes this visitor a guest: keep its session cookie with the CSRF one.
      if (set.length) cookie = [cookie, ...set.map((c) => c.split(';')[0])].join('; ');
      await res.arrayBuffer();
      statuses.push(res.status);
      if (res.status >= 500) errors++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - started);
  };
  if (options.mode === 'burst') {
    // One request first makes the guest, so the others share its identity and cap.
    await once();
    await Promise.all(Array.from({ length: (options.perUser ?? 1) - 1 }, once));
  } else {
    const until = Date.now() + (options.seconds ?? 1) * 1000;
    while (Date.now() < until) await once();
  }
  return { index, latencies, statuses, errors };
}

for (const options of phases) {
  const results = await Promise.all(Array.from({ length: options.users }, (_, i) => user(options, i)));
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const byStatus: Record<string, number> = {};
  for (const s of results.flatMap((r) => r.statuses)) byStatus[s] = (byStatus[s] ?? 0) + 1;
  process.stdout.write(
    `${JSON.stringify({
      requests: latencies.length,
      byStatus,
      okPerUser: results.map((r) => r.statuses.filter((s) => s === 200).length),
      errors: results.reduce((n, r) => n + r.errors, 0),
      p50Ms: latencies.length ? Math.round(percentileOfSorted(latencies, 0.5)) : 0,
      p95Ms: latencies.length ? Math.round(percentileOfSorted(latencies, 0.95)) : 0,
    })}\n`,
  );
}
