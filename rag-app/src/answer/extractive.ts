/**
 * The offline answerer: no model, no key. It composes the answer from the evidence: the transcript
 * units that answer the kind of question asked (a definition, a list, steps, a comparison, an
 * opinion, a reason), from the one or few videos that treat it, sponsor reads and channel framing
 * left out, adjacent units of one moment merged, laid out as a lead line and then bullets or steps,
 * grouped by video. Every quoted unit is a verbatim slice of the transcript ("…" marks a cut inside
 * a clause) cited to the second it starts. Deterministic: the same hits give the same answer.
 *
 * The jobs are in their own modules: passages.ts (the evidence as runs of transcript), scoring.ts
 * (each unit against the question), windows.ts (what to quote), layout.ts (the text).
 */
import type { SearchHit } from '../types.ts';
import type { Answerer, AnswerOptions, AnswerOutput } from './answerer.ts';
import { judgeEvidence, refusalOutput, type Verdict } from './decide.ts';
import { DEFAULT_EXTRACTIVE, type ExtractiveSettings } from './extractive-settings.ts';
import { composeLayout, type Item } from './layout.ts';
import { passagesOf } from './passages.ts';
import { definitionsIn, scoreUnits } from './scoring.ts';
import { streamText } from './stream.ts';
import { mainPassage, mergeNear, selectWindows, stepsRun, type Window, windowsOf } from './windows.ts';

export { DEFAULT_EXTRACTIVE, type ExtractiveSettings } from './extractive-settings.ts';
export { type Passage, passagesOf, type Unit } from './passages.ts';
export { definiendum, definitionsIn, kindScore, scoreUnits } from './scoring.ts';
export {
  answeringVideos,
  mainPassage,
  mergeNear,
  selectWindows,
  stepsRun,
  type Window,
  windowsOf,
} from './windows.ts';

function itemOf(w: Window): Item {
  const first = w.passage.units[w.a]!;
  const last = w.passage.units[w.b]!;
  return {
    videoId: w.passage.videoId,
    title: w.passage.title,
    segments: w.passage.segments,
    stream: w.passage.stream,
    from: first.from,
    to: last.to,
    open: first.open,
    close: last.close,
  };
}

/** How much more transcript a lead that reaches the end of its passage reads (about leadWords of speech). */
const READ_ON_SECONDS = 45;

/** Words of run-on speech a lead may carry before the definition it holds. */
const LEAD_IN_WORDS = 6;
const CLAUSE_OPENERS = new Set(['so', 'now', 'basically', 'essentially', 'okay', 'alright', 'well']);

/**
 * A lead that holds the definition asked for after a run-on start ("we have granular
 * implementations for our PIV loops which speaking of … and so PIV is short for plan, implement,
 * validate") starts at the definition: a later cut point of the same transcript, marked "…".
 */
export function fromDefinition(item: Item, verdict: Pick<Verdict, 'analysis'>): Item {
  const text = item.stream.slice(item.from, item.to);
  const lower = text.toLowerCase();
  // Lower-casing that changes the length would misplace the offset: keep the lead as it is.
  if (lower.length !== text.length) return item;
  // Only where the definition opens a clause of its own ("…and so PIV is…"): a cut after "saying
  // that" or "not" would drop what the speaker said about it ("I am not saying X is the best").
  const at = definitionsIn(lower, verdict.analysis).find((offset) => {
    const before = lower.slice(0, offset).split(/\s+/).filter(Boolean);
    return before.length > LEAD_IN_WORDS && CLAUSE_OPENERS.has(before[before.length - 1]!);
  });
  if (at === undefined) return item;
  return { ...item, from: item.from + at, open: 'forced' };
}

export class ExtractiveAnswerer implements Answerer {
  readonly name = 'extractive';
  private readonly settings: ExtractiveSettings;

  constructor(settings: Partial<ExtractiveSettings> = {}) {
    this.settings = { ...DEFAULT_EXTRACTIVE, ...settings };
  }

  async answer(question: string, hits: SearchHit[], opts: AnswerOptions = {}): Promise<AnswerOutput> {
    opts.signal?.throwIfAborted();
    const verdict = opts.verdict ?? judgeEvidence(question, hits, null);
    let picked = verdict.support.answer ? this.pick(hits, verdict) : null;
    // The lead's moment went on past the retrieved passage: read on in the transcript and choose again.
    if (picked?.runsOut && opts.readOn) {
      const { videoId, end } = picked.runsOut;
      const more = await opts.readOn(videoId, end, READ_ON_SECONDS);
      opts.signal?.throwIfAborted();
      if (more) picked = this.pick([...hits, more], verdict) ?? picked;
    }
    if (!picked) {
      const out = refusalOutput(hits.length > 0 ? verdict : null);
      streamText(out.answer, opts);
      return out;
    }
    const steps = verdict.analysis.kinds[0] === 'steps';
    const out = composeLayout(picked.lead, picked.rest, { numbered: steps });
    streamText(out.answer, opts);
    return { answer: out.answer, refused: false, citations: out.citations };
  }

  private pick(
    hits: readonly SearchHit[],
    verdict: Verdict,
  ): { lead: Item; rest: Item[]; runsOut: { videoId: string; end: number } | null } | null {
    const passages = passagesOf(hits);
    const units = scoreUnits(passages, verdict, this.settings);
    const support = new Map(verdict.support.videos.map((v) => [v.videoId, v.score]));
    const main = mainPassage(passages, support, this.settings);
    if (verdict.analysis.kinds[0] === 'steps') {
      const run = stepsRun(passages, support, this.settings);
      if (run) return { lead: itemOf(run.lead), rest: run.rest.map(itemOf), runsOut: null };
    }
    const chosen = selectWindows(windowsOf(units, this.settings), this.settings, main, { readOn: true });
    if (!chosen) return null;
    const rest = mergeNear(chosen.rest, this.settings.mergeGapWords);
    const lead = itemOf(chosen.lead);
    const { passage } = chosen.lead;
    return {
      lead: verdict.analysis.kinds.includes('definition') ? fromDefinition(lead, verdict) : lead,
      rest: rest.map(itemOf),
      runsOut: chosen.leadRunsOut ? { videoId: passage.videoId, end: passage.segments.at(-1)!.end } : null,
    };
  }
}
