import { type TextSink, writeLine } from './context.ts';

export function printJson(sink: TextSink, json: unknown): void {
  writeLine(sink, JSON.stringify(json, null, 2));
}
