import { InputError } from '../errors.ts';
import type { SearchOptions } from '../types.ts';

/** The longest question searched (characters). */
export const MAX_QUERY_CHARS = 2000;
/** The most results one search returns. */
export const MAX_K = 50;

/** Rejects a question or result count no search should run on, with a message for the caller. */
export function checkQuery(query: string, options: SearchOptions): void {
  if (typeof query !== 'string' || query.trim().length === 0) throw new InputError('the question is empty');
  if (query.length > MAX_QUERY_CHARS) {
    throw new InputError(`the question is too long (${query.length} characters, at most ${MAX_QUERY_CHARS})`);
  }
  if (options.k !== undefined && (!Number.isInteger(options.k) || options.k < 1 || options.k > MAX_K)) {
    throw new InputError(`k must be an integer from 1 to ${MAX_K}, got ${options.k}`);
  }
}
