import { InputError } from '../errors.ts';
import type { Segment } from '../types.ts';
import { blocksOf } from './blocks.ts';
import { finaliseSegments, parseClock, type TimedText } from './segments.ts';
import { cleanCueText, splitLines } from './text.ts';

const TIMING = /^(\S+)\s+-->\s+(\S+)(?:\s+.*)?$/;
const VTT_TIME = /^(?:\d+:)?\d{2}:\d{2}\.\d{3}$/;

function vttTime(text: string, lineNo: number, raw: string): number {
  const sec = VTT_TIME.test(text) ? parseClock(text) : null;
  if (sec === null) {
    throw new InputError(
      `line ${lineNo}: bad cue time '${text}' in '${raw}' (expected hh:mm:ss.ttt or mm:ss.ttt)`,
      {
        line: lineNo,
      },
    );
  }
  return sec;
}

/**
 * Parses WebVTT. Cue ids, settings, NOTE/STYLE/REGION blocks and inline tags are dropped.
 * YouTube's auto-captions "roll": each cue repeats the previous cue's line and adds one (plus
 * 10 ms cues that only repeat). Lines already shown by the previous cue are therefore dropped, and
 * cues left empty disappear, so every spoken word appears once.
 */
export function parseVtt(text: string): Segment[] {
  const lines = splitLines(text);
  if (!/^WEBVTT(?:[ \t].*)?$/.test(lines[0]?.trimEnd() ?? '')) {
    throw new InputError(`line 1: not a WebVTT file (the first line must be 'WEBVTT')`, { line: 1 });
  }
  const pieces: TimedText[] = [];
  let shown: string[] = [];
  for (const block of blocksOf(lines)) {
    const first = block.lines[0]!;
    if (block.line === 1 || /^(NOTE|STYLE|REGION)(\s|$)/.test(first)) continue;
    const timingAt = first.includes('-->') ? 0 : 1;
    const timingLine = block.lines[timingAt];
    const lineNo = block.line + timingAt;
    const m = timingLine === undefined ? null : TIMING.exec(timingLine.trim());
    if (!timingLine || !m) {
      throw new InputError(
        `line ${lineNo}: expected a cue timing 'hh:mm:ss.ttt --> hh:mm:ss.ttt', got '${(timingLine ?? first).slice(0, 80)}'`,
        { line: lineNo },
      );
    }
    const start = vttTime(m[1]!, lineNo, timingLine);
    const end = vttTime(m[2]!, lineNo, timingLine);
    const cueLines = block.lines
      .slice(timingAt + 1)
      .map(cleanCueText)
      .filter((l) => l !== '');
    const fresh = cueLines.filter((l) => !shown.includes(l));
    if (cueLines.length > 0) shown = cueLines;
    if (fresh.length > 0) pieces.push({ start, end, text: fresh.join(' ') });
  }
  return finaliseSegments(pieces);
}
