/**
 * Choosing what to quote: windows (a unit and the on-topic units after it: one moment, one
 * citation), the videos and the passage that answer, the lead and the bullets, and bullets of one
 * moment merged. Pure.
 */
import { DEFAULT_EXTRACTIVE, type ExtractiveSettings } from './extractive-settings.ts';
import { byRank, type Passage, type Unit } from './passages.ts';
import { wordCount } from './scoring.ts';
import { opensSection } from './sentences.ts';
import { jaccard } from './terms.ts';

/** A run of consecutive units of one passage: one moment, quoted as one item with one citation. */
export interface Window {
  passage: Passage;
  /** First and last unit index (inclusive). */
  a: number;
  b: number;
  score: number;
}

/** How far past its length a window may run to end where a clause does. */
const CLAUSE_SLACK_WORDS = 15;

function windowWords(p: Passage, a: number, b: number): number {
  return wordCount(p.stream.slice(p.units[a]!.from, p.units[b]!.to));
}

/**
 * The best window starting at each on-topic unit: the unit itself, grown forward while the next
 * unit is still on topic (or the current one was cut inside a clause) and the window stays short.
 */
export function windowsOf(
  units: readonly Unit[],
  settings: ExtractiveSettings = DEFAULT_EXTRACTIVE,
): Window[] {
  const out: Window[] = [];
  for (const u of units) {
    if (u.sponsor || u.coverage <= 0) continue;
    const p = u.passage;
    let b = u.index;
    for (;;) {
      const next = p.units[b + 1];
      if (!next || next.sponsor) break;
      const forced = p.units[b]!.close === 'forced';
      // A unit cut inside a clause may run a little over to reach the clause's end.
      const limit = settings.maxItemWords + (forced ? CLAUSE_SLACK_WORDS : 0);
      if (windowWords(p, u.index, b + 1) > limit) break;
      if (!forced && next.coverage <= 0 && windowWords(p, u.index, b) >= 12) break;
      b++;
    }
    // A quote ends where a clause can: back off a unit that stops inside one (the passage ran out
    // or the window grew too long), and leave out a unit that cannot end cleanly at all.
    while (b >= u.index && p.units[b]!.close === 'forced') b--;
    if (b < u.index) continue;
    // What the window adds beyond its first unit: the topic it carries on.
    let score = u.relevance;
    for (let i = u.index + 1; i <= b; i++) score += 0.25 * p.units[i]!.coverage;
    out.push({ passage: p, a: u.index, b, score });
  }
  return out.sort(
    (x, y) =>
      y.score - x.score ||
      byRank(x.passage, y.passage) ||
      x.passage.units[x.a]!.start - y.passage.units[y.a]!.start,
  );
}

function overlaps(x: Window, y: Window): boolean {
  if (x.passage.videoId !== y.passage.videoId) return false;
  const ux = [x.passage.units[x.a]!, x.passage.units[x.b]!];
  const uy = [y.passage.units[y.a]!, y.passage.units[y.b]!];
  return ux[0]!.start < uy[1]!.end && uy[0]!.start < ux[1]!.end;
}

function windowTerms(w: Window): Set<string> {
  const out = new Set<string>();
  for (let i = w.a; i <= w.b; i++) for (const t of w.passage.units[i]!.terms) out.add(t);
  return out;
}

/**
 * The videos an answer draws on: ranked by their best two windows; others join the best one only
 * when nearly as strong.
 */
export function answeringVideos(
  windows: readonly Window[],
  settings: ExtractiveSettings = DEFAULT_EXTRACTIVE,
): string[] {
  const top = new Map<string, number[]>();
  for (const w of windows) {
    const list = top.get(w.passage.videoId) ?? [];
    if (list.length < 2) list.push(w.score);
    top.set(w.passage.videoId, list);
  }
  const ranked = [...top.entries()]
    .map(([videoId, scores]) => ({ videoId, value: (scores[0] ?? 0) + 0.5 * (scores[1] ?? 0) }))
    .sort((a, b) => b.value - a.value || (a.videoId < b.videoId ? -1 : 1));
  const best = ranked[0];
  if (!best) return [];
  return ranked
    .filter((v) => v.value >= settings.videoRatio * best.value)
    .slice(0, settings.maxVideos)
    .map((v) => v.videoId);
}

/**
 * The passage that treats the question: where its best few units score highest (one strong
 * sentence can be a passing remark; an explanation holds several), in a video that supports it.
 */
export function mainPassage(
  passages: readonly Passage[],
  support: ReadonlyMap<string, number>,
  settings: ExtractiveSettings = DEFAULT_EXTRACTIVE,
): Passage | null {
  let best: Passage | null = null;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const p of passages) {
    const top = p.units
      .filter((u) => !u.sponsor && u.coverage > 0)
      .map((u) => u.relevance)
      .sort((a, b) => b - a)
      .slice(0, 3);
    if (top.length === 0) continue;
    const value = top.reduce((a, b) => a + b, 0) + settings.supportWeight * (support.get(p.videoId) ?? 0);
    if (value > bestValue + 1e-9) {
      best = p;
      bestValue = value;
    }
  }
  return best;
}

/** The lead (the best window) and the other windows, strongest first, without repeats. */
export function selectWindows(
  windows: readonly Window[],
  settings: ExtractiveSettings = DEFAULT_EXTRACTIVE,
  main: Passage | null = null,
  options: { readOn: boolean } = { readOn: true },
): { lead: Window; rest: Window[]; leadRunsOut: boolean } | null {
  const videos = new Set(answeringVideos(windows, settings));
  if (main) videos.add(main.videoId);
  const candidates = windows.filter((w) => videos.has(w.passage.videoId));
  if (candidates.length === 0) return null;
  // The lead opens with the single best unit (a definition, for "what is"), and the moment it starts.
  const inMain = main ? candidates.filter((w) => w.passage === main) : [];
  const best = [...(inMain.length > 0 ? inMain : candidates)].sort(
    (x, y) => y.passage.units[y.a]!.relevance - x.passage.units[x.a]!.relevance || y.score - x.score,
  )[0]!;
  // The lead reads on through its moment: what follows the best sentence usually explains it.
  // Not for a how-to: there what follows is the steps, each a line of its own.
  let b = best.b;
  // Whether the lead stopped because its passage did: the moment may go on past the evidence.
  let leadRunsOut = false;
  for (; options.readOn; ) {
    const next = best.passage.units[b + 1];
    if (!next) {
      leadRunsOut = true;
      break;
    }
    if (next.sponsor || next.framing === 'meta') break;
    // The passage's last unit may stop where the chunk did, mid-sentence: not worth reading on into.
    if (b + 2 === best.passage.units.length && !/[.!?]["')\]]*$/.test(next.text)) {
      leadRunsOut = true;
      break;
    }
    if (windowWords(best.passage, best.a, b + 1) > settings.leadWords) break;
    b++;
  }
  const lead: Window = b === best.b ? best : { ...best, b };
  const chosen = [lead];
  const termsOf = new Map<Window, Set<string>>([[lead, windowTerms(lead)]]);
  let words = windowWords(lead.passage, lead.a, lead.b);
  const leadEnd = lead.passage.units[lead.b]!.end;
  const follows = (w: Window) =>
    w.passage.videoId === lead.passage.videoId &&
    w.passage.units[w.b]!.end >= lead.passage.units[lead.a]!.start - settings.followSeconds / 2 &&
    w.passage.units[w.a]!.start <= leadEnd + settings.followSeconds;
  const value = (w: Window) => w.score + (follows(w) ? settings.followWeight * lead.score : 0);
  const startOf = (w: Window) => w.passage.units[w.a]!.start;
  const endOf = (w: Window) => w.passage.units[w.b]!.end;
  const clustered = (w: Window) =>
    chosen.some(
      (c) =>
        c.passage.videoId === w.passage.videoId &&
        startOf(w) <= endOf(c) + settings.clusterSeconds &&
        startOf(c) <= endOf(w) + settings.clusterSeconds,
    );
  // Greedy: each pick is the best remaining window, counting its closeness to those chosen so far.
  const left = candidates.filter(
    (w) => w !== best && !overlaps(lead, w) && value(w) >= settings.relativeFloor * lead.score,
  );
  while (left.length > 0 && chosen.length <= settings.maxItems) {
    let pick = 0;
    let pickValue = Number.NEGATIVE_INFINITY;
    left.forEach((w, i) => {
      const v = value(w) + (clustered(w) ? settings.clusterWeight * lead.score : 0);
      if (v > pickValue + 1e-9) {
        pick = i;
        pickValue = v;
      }
    });
    const w = left.splice(pick, 1)[0]!;
    if (chosen.some((c) => overlaps(c, w))) continue;
    const terms = windowTerms(w);
    if (chosen.some((c) => jaccard(termsOf.get(c)!, terms) > settings.maxSimilarity)) continue;
    const n = windowWords(w.passage, w.a, w.b);
    if (words + n > settings.maxWords) continue;
    chosen.push(w);
    termsOf.set(w, terms);
    words += n;
  }
  // Only a lead cut short: one already near its length reads on no further.
  const short = windowWords(lead.passage, lead.a, lead.b) < settings.leadWords / 2;
  return { lead, rest: chosen.slice(1), leadRunsOut: leadRunsOut && short };
}

/**
 * Bullets said one right after another (or with a few words between them) are one moment: quoted
 * as one stretch of transcript, the words between included verbatim, under one citation.
 */
export function mergeNear(windows: readonly Window[], maxGapWords: number): Window[] {
  if (maxGapWords < 0) return [...windows];
  // Passage by passage (the order passages were ranked in), then in the order said.
  const passages = [...new Set(windows.map((w) => w.passage))];
  const sorted = [...windows].sort(
    (x, y) => passages.indexOf(x.passage) - passages.indexOf(y.passage) || x.a - y.a,
  );
  const out: Window[] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && last.passage === w.passage && w.a > last.b) {
      const gap = w.a === last.b + 1 ? 0 : windowWords(w.passage, last.b + 1, w.a - 1);
      if (gap <= maxGapWords) {
        out[out.length - 1] = { ...last, b: w.b, score: Math.max(last.score, w.score) };
        continue;
      }
    }
    out.push(w);
  }
  return out;
}

/**
 * The steps of a how-to: the run of consecutive units, in one passage, that holds the most of the
 * question (its units' relevance summed, plus the video's support), said in order. A procedure is
 * told in one go, so its steps are one stretch of transcript, not the best lines of a whole video.
 * The run's first unit is the lead; each later unit is a step (a very short one joins the next).
 */
export function stepsRun(
  passages: readonly Passage[],
  support: ReadonlyMap<string, number>,
  settings: ExtractiveSettings = DEFAULT_EXTRACTIVE,
): { lead: Window; rest: Window[] } | null {
  let best: { p: Passage; a: number; b: number; value: number } | null = null;
  for (const p of passages) {
    p.units.forEach((u, a) => {
      if (u.sponsor || u.framing === 'meta' || u.coverage <= 0 || u.open === 'forced') return;
      let value = settings.supportWeight * (support.get(p.videoId) ?? 0);
      let b = a - 1;
      while (b + 1 < p.units.length && b + 1 - a <= settings.maxItems) {
        const next = p.units[b + 1]!;
        // A procedure ends where the video moves on to its next item ("tip number six …").
        if (next.sponsor || opensSection(next.text) || windowWords(p, a, b + 1) > settings.stepsWords) break;
        b++;
        value += Math.max(0, next.relevance);
      }
      // The run ends where a clause does.
      while (b >= a && p.units[b]!.close === 'forced') {
        value -= Math.max(0, p.units[b]!.relevance);
        b--;
      }
      if (b < a + 1) return;
      if (!best || value > best.value + 1e-9) best = { p, a, b, value };
    });
  }
  if (!best) return null;
  const { p, a, b } = best as { p: Passage; a: number; b: number };
  const items: Window[] = [];
  for (let i = a; i <= b; i++) {
    const u = p.units[i]!;
    if (u.framing === 'meta') continue;
    const last = items[items.length - 1];
    // A line of a few words ("then click save") is part of the step before it.
    if (last && last.b === i - 1 && windowWords(p, last.a, last.b) < 6) {
      last.b = i;
      continue;
    }
    items.push({ passage: p, a: i, b: i, score: u.relevance });
  }
  const [lead, ...rest] = items;
  return lead ? { lead, rest } : null;
}
