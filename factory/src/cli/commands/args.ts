import { InvalidArgumentError, Option } from 'commander';

/** Parses `<n>`: issue and PR numbers are positive integers (a leading `#` is allowed). */
export function itemNumber(value: string): number {
  const n = Number(value.replace(/^#/, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function jsonOption(what: string): Option {
  return new Option('--json', `print ${what} as JSON (only JSON on stdout)`);
}

export function stateOption(states: readonly string[]): Option {
  return new Option('--state <state>', 'which ones to list').choices(states).default('open');
}

/** Prints `value` as the only stdout output of a `--json` run. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
