import { type Citation, deepLink, type SearchHit } from '../types.ts';
import { cleanSentence, hitSentences } from './sentences.ts';

/** Words quoted from a passage when the whole passage is cited. */
export const SNIPPET_WORDS = 40;

/**
 * A citation for a whole retrieved passage: it points at the second the retriever localised the
 * match to (`citeStart`) and quotes the sentences spoken from there.
 */
export function citationForHit(hit: SearchHit, maxWords = SNIPPET_WORDS): Citation {
  const sentences = hitSentences(hit, 0);
  const from = sentences.findIndex((s) => Math.max(s.end, s.start + 1) > hit.citeStart);
  const quoted: string[] = [];
  let words = 0;
  for (const s of sentences.slice(from < 0 ? sentences.length - 1 : from)) {
    if (words >= maxWords) break;
    const w = s.text.split(' ');
    quoted.push(w.slice(0, maxWords - words).join(' '));
    words += w.length;
  }
  let text = cleanSentence(quoted.join(' '));
  if (words > maxWords) text = `${text.replace(/[.!?]$/, '')}…`;
  return {
    videoId: hit.videoId,
    title: hit.title,
    start: hit.citeStart,
    end: hit.end,
    url: deepLink(hit.videoId, hit.citeStart),
    text,
  };
}
