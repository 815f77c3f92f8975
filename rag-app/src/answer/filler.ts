/**
 * Talk around the content: sponsor reads, and the channel's own framing (greetings, "in this
 * video", "link in the description", "as you can see here"). Detected from the transcript's words,
 * never from a list of videos. Pure.
 */

const SPONSOR_CUE =
  /\b(sponsor(ed|s|ing)?|brought to you by|partner(ed|ing)? with (me|us)|promo code|discount code|coupon code|use (my )?code|free trial)\b/i;
// "Cloudflare is not sponsoring this video", "this video doesn't have a sponsor".
const SPONSOR_DENIAL = /\b(not|isn't|aren't|never|no|doesn't have an?y?)\b[^.]{0,30}\bsponsor/i;
/** Phrases that end a sponsor read. */
const SPONSOR_END = /\b(back to (the|our|it)|let's get back|with that out of the way|anyway|now let's)\b/i;

/** The call to action that closes a sponsor read: the read ends after the unit that says it. */
const SPONSOR_CLOSE =
  /\b(link (is )?(down )?(in|below in) the description|(in|to) the description below|discount|check (them|it) out)\b/i;

/** How long a sponsor read runs after its cue when nothing ends it sooner. */
export const SPONSOR_SECONDS = 75;

const META =
  /\b(in this video|this video|today's video|the last video|next video|previous video|my channel|this channel|the channel|subscribe|like button|(in|to) the description|link(ed)? (to )?(it |that |this )?(right )?(here|below|above)|i'll link|let me know in the comments|comment below|leav(e|ing) (me )?a comment|in the comments|welcome back|hey (everyone|guys|there)|what's up everyone|thanks for watching|see you in the next|i'll see you|stay tuned|without further ado|let's (dive|jump|get) (right )?in(to it)?|live ?stream|dynamous|dynamis)\b/i;
const DEMO =
  /\b(as you can see|you can see (here|that|right)|right here|over here|on the screen|on screen|zoom in|scroll (down|up)|take a look|let me show you|i'll show you|i'm going to show you|click on|let me go (back|over))\b/i;

export type FillerKind = 'sponsor' | 'meta' | 'demo';

export function isSponsorCue(text: string): boolean {
  return SPONSOR_CUE.test(text) && !SPONSOR_DENIAL.test(text);
}

/** Channel framing or on-screen demo talk in a unit of speech, if any. */
export function framingKind(text: string): 'meta' | 'demo' | null {
  if (META.test(text)) return 'meta';
  if (DEMO.test(text)) return 'demo';
  return null;
}

/**
 * Marks the units of one passage (in spoken order) that sit inside a sponsor read: from a sponsor
 * cue until a phrase that ends the read, the call to action that closes it, or SPONSOR_SECONDS later.
 */
export function sponsorMask(units: readonly { start: number; text: string }[]): boolean[] {
  const mask = units.map(() => false);
  let until = Number.NEGATIVE_INFINITY;
  units.forEach((u, i) => {
    if (isSponsorCue(u.text)) until = u.start + SPONSOR_SECONDS;
    else if (u.start <= until && SPONSOR_END.test(u.text)) until = Number.NEGATIVE_INFINITY;
    if (u.start <= until) mask[i] = true;
    if (mask[i] && !isSponsorCue(u.text) && SPONSOR_CLOSE.test(u.text)) until = Number.NEGATIVE_INFINITY;
  });
  return mask;
}
