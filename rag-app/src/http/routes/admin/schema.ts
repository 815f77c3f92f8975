import { z } from 'zod';
import { text, videoId } from '../../fields.ts';

export const addVideoBody = z.strictObject({
  ref: text('ref', 500),
});

export const resyncBody = z.strictObject({
  videoId: videoId.optional(),
});
