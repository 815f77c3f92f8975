import { type Citation, deepLink, type SearchHit } from '../types.ts';

/** Words quoted from a passage when the whole passage is cited. */
export const SNIPPET_WORDS = 40;

/**
 * A citation for a whole retrieved passage: it points at the second the retriever localised the
 * match to (`citeStart`) and quotes what is said from that segment on, so link and quote agree.
 */
export function citationForHit(hit: SearchHit, maxWords = SNIPPET_WORDS): Citation {
  const segments =
    hit.segments.length > 0 ? hit.segments : [{ start: hit.start, end: hit.end, text: hit.text }];
  let from = segments.findIndex((s) => s.start <= hit.citeStart && hit.citeStart < s.end);
  if (from < 0)
    from = Math.max(
      0,
      segments.findIndex((s) => s.start >= hit.citeStart),
    );
  const words = segments
    .slice(from)
    .flatMap((s) => s.text.split(/\s+/))
    .filter(Boolean);
  // Verbatim (mission.md, invariant 1); "…" marks where a long quote was cut.
  const quoted = words.slice(0, maxWords).join(' ');
  const text = words.length > maxWords ? `${quoted}…` : quoted;
  return {
    videoId: hit.videoId,
    title: hit.title,
    start: hit.citeStart,
    end: hit.end,
    url: deepLink(hit.videoId, hit.citeStart),
    text,
  };
}
