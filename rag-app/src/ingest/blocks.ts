export interface Block {
  /** 1-based number of the block's first line. */
  line: number;
  lines: string[];
}

/**
 * Blank-line separated blocks, keeping line numbers for error messages. WebVTT ends a cue only at
 * a truly empty line (YouTube's cues contain lines of one space); SRT writers are looser.
 */
export function blocksOf(
  lines: readonly string[],
  isBlank: (line: string) => boolean = (line) => line === '',
): Block[] {
  const blocks: Block[] = [];
  let current: Block | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isBlank(line)) {
      current = null;
    } else if (current === null) {
      current = { line: i + 1, lines: [line] };
      blocks.push(current);
    } else {
      current.lines.push(line);
    }
  }
  return blocks;
}
