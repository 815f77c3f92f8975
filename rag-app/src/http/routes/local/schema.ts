import { z } from 'zod';
import { SOURCE_KINDS, type SourceItem } from '../../../types.ts';

/** The local API's bodies: what `rag ask|search|ingest` send to the server holding the store. */
const searchOptions = z.strictObject({
  k: z.number().int().optional(),
  videoId: z.string().max(200).optional(),
  publishedAfter: z.string().max(40).optional(),
  publishedBefore: z.string().max(40).optional(),
});

export const localSearchBody = z.strictObject({ query: z.string(), options: searchOptions });
export const localAskBody = z.strictObject({
  question: z.string(),
  options: searchOptions.pick({ k: true, videoId: true }),
  /** Send the answer's text as `{ "token": … }` lines while it is written. */
  stream: z.boolean().default(false),
});

const segment = z.strictObject({ start: z.number(), end: z.number(), text: z.string() });
export const sourceItemSchema: z.ZodType<SourceItem> = z.union([
  z.strictObject({
    ref: z.string().max(4096),
    ok: z.literal(true),
    transcript: z.strictObject({
      videoId: z.string().min(1).max(200),
      title: z.string(),
      url: z.string(),
      published: z.string().nullable(),
      durationSec: z.number().nullable(),
      source: z.enum(SOURCE_KINDS),
      segments: z.array(segment),
    }),
  }),
  z.strictObject({ ref: z.string().max(4096), ok: z.literal(false), error: z.string() }),
]);
