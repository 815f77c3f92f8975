import type { AnswerOptions } from './answerer.ts';

/** Word-sized pieces (each with its trailing whitespace) that concatenate back to `text`. */
export function wordPieces(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** Streams a finished text through `onToken` word by word, stopping if the signal aborts. */
export function streamText(text: string, opts: AnswerOptions): void {
  if (!opts.onToken) return;
  for (const piece of wordPieces(text)) {
    opts.signal?.throwIfAborted();
    opts.onToken(piece);
  }
}
