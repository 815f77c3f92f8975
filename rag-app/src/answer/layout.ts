/**
 * Laying an extractive answer out for reading: the lead line, then bullets (or numbered steps) in
 * the order they were said, under the title of their video when several videos answer. Each line
 * ends with its `[n]` marker; `citations[n - 1]` quotes exactly the transcript the line shows.
 */
import { type Citation, deepLink, type Segment } from '../types.ts';
import { type CutKind, layOut, quoted, secondAt } from './sentences.ts';

/** A quoted stretch of one passage: characters `from`..`to` of its stream. */
export interface Item {
  videoId: string;
  title: string;
  segments: readonly Segment[];
  stream: string;
  from: number;
  to: number;
  open: CutKind;
  close: CutKind;
}

function citationOf(item: Item): Citation {
  const { placed } = layOut(item.segments);
  const start = Math.floor(secondAt(placed, item.from));
  const end = Math.max(start, Math.ceil(secondAt(placed, item.to)));
  return {
    videoId: item.videoId,
    title: item.title,
    start,
    end,
    url: deepLink(item.videoId, start),
    text: item.stream.slice(item.from, item.to),
  };
}

function shown(item: Item): string {
  return quoted({ text: item.stream.slice(item.from, item.to), open: item.open, close: item.close });
}

export function composeLayout(
  lead: Item,
  rest: readonly Item[],
  options: { numbered?: boolean } = {},
): { answer: string; citations: Citation[] } {
  const citations: Citation[] = [];
  const cite = (item: Item) => {
    citations.push(citationOf(item));
    return `${shown(item)} [${citations.length}]`;
  };
  const lines: string[] = [cite(lead)];
  const groups = new Map<string, Item[]>([[lead.videoId, []]]);
  for (const item of rest) {
    const group = groups.get(item.videoId) ?? [];
    group.push(item);
    groups.set(item.videoId, group);
  }
  const several = new Set([lead, ...rest].map((i) => i.videoId)).size > 1;
  for (const [, group] of groups) {
    if (group.length === 0) continue;
    // In the order they were said (items of one video may come from different passages).
    const at = (item: Item) => secondAt(layOut(item.segments).placed, item.from);
    const sorted = [...group].sort((a, b) => at(a) - at(b) || a.from - b.from);
    const block: string[] = [];
    if (several) block.push(`From “${sorted[0]!.title}”:`);
    sorted.forEach((item, i) => {
      block.push(`${options.numbered ? `${i + 1}.` : '-'} ${cite(item)}`);
    });
    lines.push(block.join('\n'));
  }
  return { answer: lines.join('\n\n'), citations };
}
