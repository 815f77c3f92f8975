/**
 * Bounded command output: the first HEAD and the last TAIL bytes, with a marker saying how much
 * was cut in between. Streams are collected without ever holding more than about HEAD + 2×TAIL.
 */

export const OUTPUT_HEAD_BYTES = 4 * 1024;
export const OUTPUT_TAIL_BYTES = 8 * 1024;

export function cutMarker(bytes: number): string {
  return `\n… [${bytes} bytes cut] …\n`;
}

export class TrimmedOutput {
  private readonly head: Buffer[] = [];
  private headLength = 0;
  private tail: Buffer[] = [];
  private tailLength = 0;
  private total = 0;

  constructor(
    private readonly headBytes = OUTPUT_HEAD_BYTES,
    private readonly tailBytes = OUTPUT_TAIL_BYTES,
  ) {}

  get bytes(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headLength < this.headBytes) {
      const take = Math.min(this.headBytes - this.headLength, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headLength += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailLength += rest.length;
    if (this.tailLength > 2 * this.tailBytes) {
      const joined = Buffer.concat(this.tail);
      this.tail = [joined.subarray(joined.length - this.tailBytes)];
      this.tailLength = this.tailBytes;
    }
  }

  toString(): string {
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    const kept = tail.subarray(Math.max(0, tail.length - this.tailBytes));
    const cut = this.total - head.length - kept.length;
    if (cut === 0) return Buffer.concat([head, kept]).toString('utf8');
    return head.toString('utf8') + cutMarker(cut) + kept.toString('utf8');
  }
}

/** Trims a finished text the same way (e.g. a step's stored evidence). */
export function trimOutput(
  text: string,
  headBytes = OUTPUT_HEAD_BYTES,
  tailBytes = OUTPUT_TAIL_BYTES,
): string {
  const out = new TrimmedOutput(headBytes, tailBytes);
  out.push(Buffer.from(text, 'utf8'));
  return out.toString();
}
