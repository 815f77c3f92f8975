/**
 * Turning the model's streamed reply into the answer: `[n]` markers that name passages are
 * renumbered to index the citations list (in order of first appearance), and the refusal token is
 * held back so it never reaches the reader. Works on a stream so that what `onToken` receives is
 * exactly the final answer text.
 */
import { NOT_COVERED_TOKEN } from './prompt.ts';

const MARKER = /^\[\s*\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-–]\s*\d+)?)*\s*\]/;
const MAYBE_MARKER = /^\[[\s\d,;\-–]*$/;
const MAX_MARKER_LENGTH = 32;

/** Passage numbers named by one marker, e.g. "[3, 1]" → [3, 1], "[2-4]" → [2, 3, 4]. */
export function markerNumbers(marker: string): number[] {
  const out: number[] = [];
  for (const item of marker.slice(1, -1).split(/[,;]/)) {
    const [a, b] = item.split(/[-–]/).map((x) => Number.parseInt(x.trim(), 10));
    if (a === undefined || Number.isNaN(a)) continue;
    const last = b === undefined || Number.isNaN(b) ? a : b;
    for (let n = a; n <= last && n - a < 20; n++) out.push(n);
  }
  return out;
}

/** Rewrites passage markers into citation markers as text streams through. */
export class CitationRenumberer {
  private pending = '';
  private readonly numbering = new Map<number, number>();
  /** Numbers the text cited that name no passage (dropped from the text). */
  readonly unknown: number[] = [];

  constructor(private readonly passageCount: number) {}

  /** Passage numbers (1-based) in the order the citations list holds them. */
  get order(): number[] {
    return [...this.numbering.keys()];
  }

  push(delta: string): string {
    this.pending += delta;
    let out = '';
    for (;;) {
      const open = this.pending.indexOf('[');
      if (open < 0) {
        out += this.pending;
        this.pending = '';
        return out;
      }
      out += this.pending.slice(0, open);
      this.pending = this.pending.slice(open);
      const marker = MARKER.exec(this.pending);
      if (marker) {
        out += this.rewrite(marker[0]);
        this.pending = this.pending.slice(marker[0].length);
        continue;
      }
      if (MAYBE_MARKER.test(this.pending) && this.pending.length < MAX_MARKER_LENGTH) return out;
      out += '[';
      this.pending = this.pending.slice(1);
    }
  }

  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }

  private rewrite(marker: string): string {
    const numbers = markerNumbers(marker);
    const valid = numbers.filter((n) => n >= 1 && n <= this.passageCount);
    for (const n of numbers) if (!valid.includes(n) && !this.unknown.includes(n)) this.unknown.push(n);
    const cited: number[] = [];
    for (const n of valid) {
      let index = this.numbering.get(n);
      if (index === undefined) {
        index = this.numbering.size + 1;
        this.numbering.set(n, index);
      }
      if (!cited.includes(index)) cited.push(index);
    }
    return cited.map((i) => `[${i}]`).join('');
  }
}

// Said instead of the token now and then; only trusted when the reply cites nothing.
const NOT_COVERED_PHRASE =
  /\b(passages|videos|transcripts?|sources?)\b[^.]*\b(do not|don't|does not|doesn't)\b[^.]*\b(cover|contain|mention|address|answer|say)/i;

export interface Reply {
  text: string;
  refused: boolean;
  /** Passage numbers, in citation order. */
  order: number[];
  /** Passage numbers the model cited that it was never given: the text from there on was dropped. */
  ungrounded: number[];
}

const RENUMBERED = /\[\d+\]/g;

/**
 * Stream filter over the model's text deltas: push() returns what may be shown now. Text is shown
 * only once a citation marker after it names a passage the model was given; a marker naming any
 * other passage rejects that sentence and everything after it, so an answer resting on a passage
 * the model was not given is never shown.
 */
export class ReplyFilter {
  private raw = '';
  private opened = false;
  private refused = false;
  private rejected = false;
  private shown = '';
  private held = '';
  private heldSpace = '';
  private readonly renumberer: CitationRenumberer;

  constructor(passageCount: number) {
    this.renumberer = new CitationRenumberer(passageCount);
  }

  push(delta: string): string {
    this.raw += delta;
    if (this.refused || this.rejected) return '';
    if (this.opened) {
      if (this.raw.includes(NOT_COVERED_TOKEN)) this.refused = true;
      return this.hold(this.renumberer.push(delta));
    }
    const start = this.raw.trimStart();
    // Held until the reply is known not to be the refusal token.
    if (start.length === 0 || NOT_COVERED_TOKEN.startsWith(start)) return '';
    if (start.startsWith(NOT_COVERED_TOKEN)) {
      this.refused = true;
      return '';
    }
    this.opened = true;
    return this.hold(this.renumberer.push(start));
  }

  /** The rest of the text, once the stream has ended. */
  flush(): string {
    if (this.refused || this.rejected) return '';
    const rest = this.hold(this.renumberer.flush());
    if (this.rejected) return rest;
    const tail = this.held;
    this.held = '';
    return rest + this.show(tail, true);
  }

  result(): Reply {
    const text = this.shown;
    const refused =
      this.refused ||
      this.raw.includes(NOT_COVERED_TOKEN) ||
      text.trim().length === 0 ||
      (this.renumberer.order.length === 0 && NOT_COVERED_PHRASE.test(text));
    const cited = refused
      ? []
      : [...new Set([...text.matchAll(RENUMBERED)].map((m) => Number(m[0].slice(1, -1))))];
    // Citations the shown text still uses, in order (a dropped sentence may have held the only use of one).
    const order = cited.sort((a, b) => a - b).map((i) => this.renumberer.order[i - 1]!);
    return { text, refused, order, ungrounded: [...this.renumberer.unknown] };
  }

  /** Adds renumbered text to what is held, and shows what a valid marker now grounds. */
  private hold(text: string): string {
    if (this.renumberer.unknown.length > 0) {
      this.rejected = true;
      // The punctuation closing the last grounded sentence still belongs to it.
      const close = /^[.!?;:)]+/.exec(this.held)?.[0] ?? '';
      this.held = '';
      return close ? this.show(close, true) : '';
    }
    this.held += text;
    let end = 0;
    for (const m of this.held.matchAll(RENUMBERED)) end = m.index + m[0].length;
    if (end === 0) return '';
    const ready = this.held.slice(0, end);
    this.held = this.held.slice(end);
    return this.show(ready);
  }

  // Trailing whitespace waits for more text, so the shown text never ends in a space.
  private show(text: string, final = false): string {
    const joined = this.heldSpace + text;
    const body = final ? joined.trimEnd() : joined.replace(/\s+$/, '');
    this.heldSpace = final ? '' : joined.slice(body.length);
    this.shown += body;
    return body;
  }
}
