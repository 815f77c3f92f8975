/**
 * Everything the factory writes to the forge (comments, PR bodies) passes through here: the values
 * of secret-looking environment variables and credentials in URLs are replaced.
 */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)/i;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]+):([^\s@/]+)@/gi;
const KNOWN_TOKEN_SHAPES = [
  /\bsk-ant-[A-Za-z0-9_-]{10,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
];

export function secretValues(env: Record<string, string | undefined>): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < 6) continue;
    if (SECRET_NAME.test(name)) values.add(value);
    if (name === 'DATABASE_URL') {
      const password = /:\/\/[^:/@]+:([^@]+)@/.exec(value)?.[1];
      if (password && password.length >= 4) values.add(password);
    }
  }
  // Longest first, so that a secret containing another is replaced whole.
  return [...values].sort((a, b) => b.length - a.length);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  out = out.replace(URL_CREDENTIALS, '$1$2:[redacted]@');
  for (const shape of KNOWN_TOKEN_SHAPES) out = out.replace(shape, '[redacted]');
  return out;
}

/**
 * `redact` over every string inside a JSON-like value (object keys are the code's own and stay):
 * what the run store writes into events and step results, and what the watch page sends out.
 */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  return walk(value, (text) => redact(text, secrets)) as T;
}

function walk(value: unknown, fix: (text: string) => string): unknown {
  if (typeof value === 'string') return fix(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, fix));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, fix)]));
  }
  return value;
}
