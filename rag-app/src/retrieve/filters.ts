import { InputError } from '../errors.ts';
import type { SearchOptions } from '../types.ts';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** SQL conditions over `chunks c JOIN videos v`, with parameters numbered after `offset`. */
export function filterClause(options: SearchOptions, offset: number): { sql: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  const add = (cond: (n: number) => string, value: unknown) => {
    params.push(value);
    conds.push(cond(offset + params.length));
  };
  if (options.videoId) add((n) => `c.video_id = $${n}`, options.videoId);
  for (const [key, op] of [
    ['publishedAfter', '>='],
    ['publishedBefore', '<='],
  ] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (!ISO_DATE.test(value)) throw new InputError(`${key} must be a date YYYY-MM-DD, got "${value}"`);
    add((n) => `v.published ${op} $${n}::date`, value);
  }
  return { sql: conds.length ? conds.join(' AND ') : 'true', params };
}

export function hasFilter(options: SearchOptions): boolean {
  return Boolean(options.videoId || options.publishedAfter || options.publishedBefore);
}
