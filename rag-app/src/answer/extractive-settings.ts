/**
 * The offline answerer's knobs, in one place: how units are scored, which windows are chosen and
 * how the answer is laid out. Measured on the dev answerability set (rag-app README, "Answering").
 */

export interface ExtractiveSettings {
  /** Bullets (or steps) after the lead line. */
  maxItems: number;
  /** A how-to's steps: one run of consecutive units, at most this many words. */
  stepsWords: number;
  /** Words the whole answer may quote. */
  maxWords: number;
  /** A bullet may grow to this many words by merging the units next to it. */
  maxItemWords: number;
  /** Relevance bonus for coming from the top hit, shrinking with rank. */
  rankPrior: number;
  /** Share of the neighbouring units' coverage a unit inherits ("...three stages. The first is..."). */
  contextWeight: number;
  /** Bonus for a unit shaped like the answer the question asks for. */
  kindWeight: number;
  /** Bonus for the share of the question its video's title names (a video about the subject). */
  videoWeight: number;
  /** Penalties for channel framing ("in this video", "link in the description") and demo talk. */
  metaPenalty: number;
  demoPenalty: number;
  /** Another video joins the answer when its support is at least this share of the best video's. */
  videoRatio: number;
  maxVideos: number;
  /** Past the lead, stop once relevance falls below this share of the lead's. */
  relativeFloor: number;
  /** A candidate this similar (Jaccard of terms) to a chosen unit is a repeat. */
  maxSimilarity: number;
  /** Windows said within this many seconds after the lead carry its explanation on... */
  followSeconds: number;
  /** ...and gain this share of the lead's score. */
  followWeight: number;
  /** Bonus for being said early in the video (a video introduces its subject first), fading over earlySeconds. */
  earlyWeight: number;
  earlySeconds: number;
  /** The main passage is the one whose best 3 units score highest, plus this times its video's support. */
  supportWeight: number;
  /** The lead reads on through the units after its best one up to this many words. */
  leadWords: number;
  /**
   * A window said within this many seconds of a chosen one gains this share of the lead's score:
   * the moment that treats the subject holds several on-topic windows, a passing mention one.
   */
  clusterSeconds: number;
  clusterWeight: number;
  /**
   * Bullets of one passage at most this many words apart are quoted as one moment under one
   * citation, the words between included (they count on top of maxWords).
   */
  mergeGapWords: number;
}

export const DEFAULT_EXTRACTIVE: ExtractiveSettings = {
  maxItems: 5,
  stepsWords: 150,
  maxWords: 200,
  maxItemWords: 45,
  rankPrior: 0.3,
  contextWeight: 0.3,
  kindWeight: 0.45,
  videoWeight: 0.6,
  metaPenalty: 0.3,
  demoPenalty: 0.1,
  videoRatio: 0.85,
  maxVideos: 3,
  relativeFloor: 0.35,
  maxSimilarity: 0.6,
  followSeconds: 60,
  followWeight: 1,
  earlyWeight: 0.3,
  earlySeconds: 600,
  supportWeight: 2,
  leadWords: 80,
  clusterSeconds: 60,
  clusterWeight: 0.3,
  mergeGapWords: 25,
};
