/** 75 → "1:15", 3675 → "1:01:15": the way YouTube shows a moment. */
export function formatTimestamp(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

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
