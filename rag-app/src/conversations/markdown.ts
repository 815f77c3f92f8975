// The one timestamp format, shared with the answer prompt.
export { formatTimestamp } from '@dark-factory/kit';

/** Quotes text as a Markdown blockquote, line by line. */
export function quote(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}

/** Keeps link text from closing the Markdown link early. */
export function linkText(text: string): string {
  return text.replace(/[[\]]/g, (ch) => `\\${ch}`);
}
