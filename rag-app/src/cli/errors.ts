import { CommanderError } from 'commander';
import { errorMessage, RagError } from '../errors.ts';

/** The single stderr line for a failure: `rag: <code>: <message>` (`rag: usage: …` for a bad command line). */
export function errorLine(err: unknown): string {
  if (err instanceof CommanderError) {
    return `rag: usage: ${oneLine(err.message.replace(/^error:\s*/, ''))} (add --help for usage)`;
  }
  const code = err instanceof RagError ? `${err.code}: ` : '';
  return `rag: ${code}${oneLine(errorMessage(err))}`;
}

function oneLine(text: string): string {
  return text
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' ');
}
