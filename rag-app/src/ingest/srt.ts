import { InputError } from '../errors.ts';
import type { Segment } from '../types.ts';
import { blocksOf } from './blocks.ts';
import { finaliseSegments, parseClock, type TimedText } from './segments.ts';
import { cleanCueText, splitLines } from './text.ts';

const TIMING = /^(\d+:\d{1,2}:\d{1,2}[,.]\d{1,3})\s*-->\s*(\d+:\d{1,2}:\d{1,2}[,.]\d{1,3})(?:\s+.*)?$/;

/**
 * Parses SubRip: blocks of an index line, `00:00:01,000 --> 00:00:04,000` and one or more text
 * lines. Tags (`<i>`, `<font ...>`, `{\an8}`) are stripped. A block without a valid timing line
 * is an error naming its line, since guessing would shift every later cue.
 */
export function parseSrt(text: string): Segment[] {
  const pieces: TimedText[] = [];
  for (const block of blocksOf(splitLines(text), (l) => l.trim() === '')) {
    const timingAt = /^\d+$/.test(block.lines[0]!.trim()) ? 1 : 0;
    const timingLine = block.lines[timingAt]?.trim();
    const lineNo = block.line + timingAt;
    const m = timingLine === undefined ? null : TIMING.exec(timingLine);
    const start = m ? parseClock(m[1]!) : null;
    const end = m ? parseClock(m[2]!) : null;
    if (timingLine === undefined) {
      throw new InputError(`line ${block.line}: cue '${block.lines[0]!.trim()}' has no timing line`, {
        line: block.line,
      });
    }
    if (start === null || end === null) {
      throw new InputError(
        `line ${lineNo}: expected a timing '00:00:01,000 --> 00:00:04,000', got '${timingLine.slice(0, 80)}'`,
        { line: lineNo },
      );
    }
    const cue = block.lines
      .slice(timingAt + 1)
      .map(cleanCueText)
      .filter((l) => l !== '')
      .join(' ');
    pieces.push({ start, end, text: cue });
  }
  return finaliseSegments(pieces);
}
