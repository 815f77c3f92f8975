/**
 * clauseIntegrity: the share of an answer's sentences that end where a clause can end. A sentence
 * ending on a word that needs a continuation ("…available to you it's.", "…for the") was cut
 * mid-clause, and so was one that marks its own cut with an ellipsis. Measured per sentence, over
 * answered (not refused) ask cases. Pure: the answer text in, (clean, total) out.
 */

/** Words after which an English clause cannot end. */
export const DANGLING = new Set(
  `a an the to of in on at for with from by into onto as than and or but nor because if when while
  whereas that which who whom whose where is are was were be been being am has have had do does did
  can could will would should shall may might must it's that's there's what's here's i'm we're you're
  they're he's she's i've we've you've they've i'll we'll you'll they'll i'd we'd you'd they'd
  gonna wanna gotta i we they he she my your our their his its every each very`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * Dangling words that can still close a sentence the speaker ended: a particle ("so I'll send this
 * in."), an auxiliary after its subject ("what the heck it actually is.", "what is it going to
 * be?"), the pronoun "that" ("we'll get into all that."). With the sentence's own closing
 * punctuation after them they end the clause; without it they leave it open.
 */
export const CLOSE_WITH_STOP = new Set(
  `in on at for with from by into onto is are was were be been being am has have had do does did can
  could will would should shall may might must that`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * The sentences of an answer: split at citation markers and sentence punctuation; list bullets,
 * step numbers and section headings ("From “Title”:") are layout, not sentences.
 */
export function answerSentences(answer: string): string[] {
  const out: string[] = [];
  for (const rawLine of answer.split('\n')) {
    const line = rawLine.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim();
    if (!line || /:\s*$/.test(line)) continue;
    for (const piece of line.split(/\s*\[\d+\](?:\s*\[\d+\])*\s*/)) {
      for (const sentence of piece.split(/(?<=[.!?]["')\]]*)\s+(?=\S)/)) {
        if (/[\p{L}\p{N}]/u.test(sentence)) out.push(sentence.trim());
      }
    }
  }
  return out;
}

/**
 * Whether a sentence stops inside a clause: an ellipsis at its end, or a dangling last word (one of
 * CLOSE_WITH_STOP only when no sentence punctuation follows it).
 */
export function cutMidClause(sentence: string): boolean {
  const s = sentence.trim();
  if (/(…|\.\.\.)["')\]]*$/.test(s)) return true;
  const stopped = /[.!?]["')\]]*$/.test(s);
  const words = s
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .split(/\s+/)
    .map((w) => w.replace(/^[^\p{L}\p{N}']+|[^\p{L}\p{N}']+$/gu, ''))
    .filter(Boolean);
  const last = words[words.length - 1];
  if (last === undefined || !DANGLING.has(last)) return false;
  return !(stopped && CLOSE_WITH_STOP.has(last));
}

/** (sentences ending at a clause boundary, sentences) of one case; (0, 0) when not an answer. */
export function clauseParts(r: {
  call?: string;
  refused?: boolean | undefined;
  answer?: string | undefined;
}): [number, number] {
  if (r.call !== 'ask' || r.refused !== false || !r.answer) return [0, 0];
  const sentences = answerSentences(r.answer);
  return [sentences.filter((s) => !cutMidClause(s)).length, sentences.length];
}
