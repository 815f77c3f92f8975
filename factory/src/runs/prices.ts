import type { Usage } from './types.ts';

/** USD per million tokens. `cacheWrite` is the 5-minute cache write (the factory's `ephemeral` default). */
export interface Rates {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

export interface ModelPrice extends Rates {
  /**
   * Long-context tier: when a request's whole prompt (input + cache writes + cache reads) exceeds
   * `aboveInputTokens`, every token of that request is billed at these rates instead.
   */
  longContext?: Rates & { aboveInputTokens: number };
}

/**
 * Anthropic's list prices (platform.claude.com/docs/en/about-claude/pricing, checked 2026-12).
 * Keys are model ids; a dated id (`claude-sonnet-4-5-20250929`) resolves to its key. Opus and
 * Sonnet 4.6 bill their 1M window at the standard rates; Sonnet 4.5 and 4 have a surcharge above 200K.
 * A model missing here is *unpriced* (null), never free.
 */
export const PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4-6': { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
  'claude-opus-4-5': { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
  'claude-opus-4-1': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-opus-4-0': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-opus-4': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-sonnet-4-6': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-sonnet-4-5': {
    input: 3,
    output: 15,
    cacheWrite: 3.75,
    cacheRead: 0.3,
    longContext: { aboveInputTokens: 200_000, input: 6, output: 22.5, cacheWrite: 7.5, cacheRead: 0.6 },
  },
  'claude-sonnet-4-0': {
    input: 3,
    output: 15,
    cacheWrite: 3.75,
    cacheRead: 0.3,
    longContext: { aboveInputTokens: 200_000, input: 6, output: 22.5, cacheWrite: 7.5, cacheRead: 0.6 },
  },
  'claude-sonnet-4': {
    input: 3,
    output: 15,
    cacheWrite: 3.75,
    cacheRead: 0.3,
    longContext: { aboveInputTokens: 200_000, input: 6, output: 22.5, cacheWrite: 7.5, cacheRead: 0.6 },
  },
  'claude-haiku-4-5': { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
};

const DATED = /-(\d{8}|latest)$/;

/**
 * The price of a model id: exact match, or the id without a date suffix (`-20250929`, `-latest`).
 * Nothing looser: `claude-opus-4-7` is not `claude-opus-4`, so an unknown model stays unpriced.
 */
export function priceFor(
  model: string,
  table: Readonly<Record<string, ModelPrice>> = PRICES,
): ModelPrice | null {
  const id = model.trim().toLowerCase();
  if (Object.hasOwn(table, id)) return table[id] ?? null;
  const undated = id.replace(DATED, '');
  if (undated !== id && Object.hasOwn(table, undated)) return table[undated] ?? null;
  return null;
}

/** USD of one model call, or null when the model has no price (never 0 for an unknown model). */
export function priceUsage(
  model: string,
  usage: Usage,
  table: Readonly<Record<string, ModelPrice>> = PRICES,
): number | null {
  const price = priceFor(model, table);
  if (!price) return null;
  const prompt = usage.inputTokens + usage.cacheCreationInputTokens + usage.cacheReadInputTokens;
  const rates: Rates =
    price.longContext && prompt > price.longContext.aboveInputTokens ? price.longContext : price;
  const usd =
    (usage.inputTokens * rates.input +
      usage.outputTokens * rates.output +
      usage.cacheCreationInputTokens * rates.cacheWrite +
      usage.cacheReadInputTokens * rates.cacheRead) /
    1_000_000;
  // Round to a micro-dollar so sums stay stable across databases.
  return Math.round(usd * 1e6) / 1e6;
}
