/**
 * The one error base. Each package keeps its own class (`ForgeError`, `RagError`, …) with a typed
 * `code` union: `code` is stable and safe to branch on or show, `message` is one readable line,
 * `context` names what was involved (never a secret), `cause` is the error underneath.
 */
export class DarkFactoryError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    // The subclass's own name (`ForgeError`, `ConfigError`), so stacks and logs say which it is.
    this.name = new.target.name;
  }
}

/** The message of anything thrown: an Error's message, anything else as a string. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Lines folded into one (a CLI's error is a single line; zod's pretty errors span several). */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' ');
}
