import { errorMessage, oneLine } from '@dark-factory/kit';
import { CommanderError } from 'commander';
import { RagError, RemoteError } from '../errors.ts';

/** The single stderr line for a failure: `rag: <code>: <message>` (`rag: usage: …` for a bad command line). */
export function errorLine(err: unknown): string {
  if (err instanceof CommanderError) {
    return `rag: usage: ${oneLine(err.message.replace(/^error:\s*/, ''))} (add --help for usage)`;
  }
  const code = err instanceof RagError || err instanceof RemoteError ? `${err.code}: ` : '';
  return `rag: ${code}${oneLine(errorMessage(err))}`;
}
