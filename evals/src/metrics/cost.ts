/** USD per million tokens, by model-name prefix (longest prefix wins). Unknown model: no USD. */
export const PRICES: Record<string, { input: number; output: number }> = {
  'claude-opus-4-5': { input: 5, output: 25 },
  'claude-opus-4-6': { input: 5, output: 25 },
  'claude-opus-4-1': { input: 15, output: 75 },
  'claude-opus-4': { input: 15, output: 75 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-3-7-sonnet': { input: 3, output: 15 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-haiku-4': { input: 1, output: 5 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'claude-3-haiku': { input: 0.25, output: 1.25 },
};

export function usdFor(model: string, inputTokens: number, outputTokens: number): number | undefined {
  const key = Object.keys(PRICES)
    .filter((p) => model.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  if (!key) return undefined;
  const price = PRICES[key]!;
  return (inputTokens * price.input + outputTokens * price.output) / 1_000_000;
}
