import { FACTORY_COMMANDS, type FactoryCommand } from '../policy/schema.ts';

/** A `/factory <word>` line in a comment: a known command, or the word that is not one. */
export type ParsedCommand = { command: FactoryCommand } | { command: 'unknown'; word: string };

const COMMAND_LINE = /^\s*\/factory(?:\s+(\S+))?\s*$/i;
const FENCE = /^\s*(```|~~~)/;

/**
 * The first `/factory …` command in a comment: a line of its own, outside code fences and quotes
 * (a quoted `> /factory stop` is someone else's words). Pure; null when the comment has none.
 */
export function parseCommand(body: string): ParsedCommand | null {
  let fenced = false;
  for (const line of body.split(/\r?\n/)) {
    if (FENCE.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    const match = COMMAND_LINE.exec(line);
    if (!match) continue;
    const word = (match[1] ?? '').toLowerCase();
    const known = FACTORY_COMMANDS.find((c) => c === word);
    return known ? { command: known } : { command: 'unknown', word: word.slice(0, 40) };
  }
  return null;
}

export const COMMAND_HELP: Record<FactoryCommand, string> = {
  retry: 'take the issue again (a new run, or the stalled one resumed)',
  stop: 'end the running run before its next step',
  explain: "comment the run's status and why",
};
