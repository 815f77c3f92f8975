import { type TextSink, writeLine } from './context.ts';

export function printJson(sink: TextSink, json: unknown): void {
  writeLine(sink, JSON.stringify(json, null, 2));
}

/** A second in a video as the player shows it: 4:05, 1:02:03. */
export function formatTime(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.floor(sec % 60);
  return `${h ? `${h}:` : ''}${h ? String(m).padStart(2, '0') : m}:${String(s).padStart(2, '0')}`;
}
