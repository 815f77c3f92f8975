import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { redactDeep } from '../redact.ts';

/**
 * The second lock on what the public sees. The store already redacts secrets when events and step
 * results are written (runs/store.ts); the watch app runs everything it sends through the same
 * redaction with its own process's secrets, and replaces any text of the sealed holdout (its
 * queries, answers, ids) wherever it would appear — a judge's error line, a note — with `[holdout]`.
 */

export const HOLDOUT_MARK = '[holdout]';
/** Shorter strings (metric names, "true", small numbers) are too common to be holdout contents. */
const MIN_HOLDOUT_TEXT = 8;

/** Every string value of length ≥ 8 in the holdout's *.jsonl datasets (recursively inside each case). */
export async function holdoutStrings(dir: string): Promise<string[]> {
  const found = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string') {
      const text = value.trim();
      if (text.length >= MIN_HOLDOUT_TEXT) found.add(text);
    } else if (Array.isArray(value)) {
      for (const item of value) collect(item);
    } else if (value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) collect(item);
    }
  };
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort()) {
    const text = await readFile(path.join(dir, name), 'utf8');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        collect(JSON.parse(line));
      } catch {
        // a malformed line is the gate's problem; its raw text is still never shown
        if (line.trim().length >= MIN_HOLDOUT_TEXT) found.add(line.trim());
      }
    }
  }
  return [...found];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The redaction applied to every value the watch app sends (JSON and HTML alike). */
export function createRedactor(options: {
  secrets: readonly string[];
  holdout: readonly string[];
}): <T>(value: T) => T {
  const holdout = [...options.holdout].sort((a, b) => b.length - a.length);
  const pattern = holdout.length > 0 ? new RegExp(holdout.map(escapeRegExp).join('|'), 'g') : null;
  return <T>(value: T): T => {
    const redacted = redactDeep(value, options.secrets);
    return pattern ? (replaceStrings(redacted, (s) => s.replace(pattern, HOLDOUT_MARK)) as T) : redacted;
  };
}

function replaceStrings(value: unknown, fix: (text: string) => string): unknown {
  if (typeof value === 'string') return fix(value);
  if (Array.isArray(value)) return value.map((item) => replaceStrings(item, fix));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceStrings(v, fix)]));
  }
  return value;
}
