import { isForgeError } from '@dark-factory/forge';
import { DarkFactoryError, errorMessage, oneLine } from '@dark-factory/kit';
import { CommanderError } from 'commander';
import { isFactoryError } from '../errors.ts';

export type CliErrorCode = 'usage' | 'io';

/** A failure of the command line itself (bad flags, an unreadable --body-file), as opposed to the forge. */
export class CliError extends DarkFactoryError<CliErrorCode> {}

/** The single stderr line for a failure: `factory: <code>: <message>`. */
export function errorLine(err: unknown): string {
  if (isForgeError(err) || err instanceof CliError || isFactoryError(err)) {
    return `factory: ${err.code}: ${oneLine(err.message)}`;
  }
  if (err instanceof CommanderError) {
    const message = err.message.replace(/^error:\s*/, '');
    return `factory: usage: ${oneLine(message)} (add --help for usage)`;
  }
  return `factory: error: ${oneLine(errorMessage(err))}`;
}

/** Ends the command with this exit code after its output was printed (no error line). */
export class ExitCode extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitCode';
  }
}
