import { Hono } from 'hono';
import type { AppEnv, Service } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { pageQuery } from '../../fields.ts';
import { readQuery } from '../../validate.ts';

/** The library: public, read-only. */
export function videoRoutes(service: Service): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { rag } = service;

  app.get('/api/videos', async (c) => {
    const q = readQuery(c, pageQuery);
    const page = await rag.listVideos({ ...(q.q ? { q: q.q } : {}), limit: q.limit, offset: q.offset });
    return c.json({ ...page, limit: q.limit, offset: q.offset });
  });

  app.get('/api/videos/:id', async (c) => {
    const id = c.req.param('id');
    const video = /^[\w-]{1,64}$/.test(id) ? await rag.getVideo(id) : null;
    if (!video)
      throw new ApiError(404, 'video_not_found', `no video with id ${JSON.stringify(id.slice(0, 64))}`);
    return c.json(video);
  });

  return app;
}
