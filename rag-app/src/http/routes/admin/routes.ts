import path from 'node:path';
import { Hono } from 'hono';
import { playlistPageUrl } from '../../../ingest/playlist.ts';
import { parseVideoRef } from '../../../ingest/video-ref.ts';
import { emptyPlan, everythingPlan, parseSyncSources, resyncPlan } from '../../../sync/plan.ts';
import { summaryStatus } from '../../../sync/syncer.ts';
import type { IngestSummary } from '../../../types.ts';
import type { AppEnv, Service } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { requireAdmin } from '../../middleware/session.ts';
import { readJson } from '../../validate.ts';
import { addVideoBody, resyncBody } from './schema.ts';

/**
 * A run the admin waited for: its status and summary. When nothing went in (no captions, the video
 * is gone, YouTube did not answer in time) it is 422 with the reason: the request was understood,
 * the video could not be ingested. 502 only when the run itself broke.
 */
function finished(runId: number, summary: IngestSummary | null, what: string) {
  if (!summary) throw new ApiError(502, 'ingest_failed', `${what} failed; see sync run ${runId}`);
  const { status, error } = summaryStatus(summary);
  if (status === 'failed')
    throw new ApiError(422, 'ingest_failed', `${what} failed: ${error} (sync run ${runId})`);
  return { runId, status, summary };
}

/** A ref the YouTube source can read: a video id or url, or a playlist or channel url; else 400. */
function checkRef(ref: string): void {
  try {
    parseVideoRef(ref);
    return;
  } catch {
    // not a single video: maybe a playlist or a channel
  }
  try {
    playlistPageUrl(ref);
  } catch {
    throw new ApiError(
      400,
      'invalid_input',
      `ref: not a YouTube video id or url, nor a playlist or channel url: ${JSON.stringify(ref.slice(0, 100))}`,
    );
  }
}

export function adminRoutes(service: Service): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { rag, syncer, config } = service;
  const corpusDir = config.CORPUS_DIR ? path.resolve(service.cwd, config.CORPUS_DIR) : null;

  app.use('/api/admin/*', async (c, next) => {
    requireAdmin(c);
    return next();
  });

  app.get('/api/admin/status', async (c) => {
    const [stats, sync] = await Promise.all([rag.stats(), syncer.status()]);
    const plan = parseSyncSources(config.SYNC_SOURCES, service.cwd);
    return c.json({
      stats,
      sync,
      schedule: { intervalMinutes: config.SYNC_INTERVAL_MINUTES, refs: plan.refs, dirs: plan.dirs },
    });
  });

  app.post('/api/admin/videos', async (c) => {
    const { ref } = await readJson(c, addVideoBody);
    checkRef(ref);
    const { runId, summary } = await syncer.run('admin-add', { ...emptyPlan(), refs: [ref] });
    return c.json(finished(runId, summary, `ingesting ${ref}`));
  });

  app.delete('/api/admin/videos/:id', async (c) => {
    const id = c.req.param('id');
    // Not an id the store could hold (a NUL byte, say): no such video, without asking the store.
    if (!/^[\w-]{1,64}$/.test(id) || !(await rag.removeVideo(id)))
      throw new ApiError(404, 'video_not_found', `no video with id ${JSON.stringify(id.slice(0, 64))}`);
    return c.body(null, 204);
  });

  app.post('/api/admin/sync', async (c) => {
    const { videoId } = await readJson(c, resyncBody);
    if (videoId) {
      const video = await rag.getVideo(videoId);
      if (!video) throw new ApiError(404, 'video_not_found', `no video with id ${videoId}`);
      const { runId, summary } = await syncer.run('admin-resync', resyncPlan(video, corpusDir));
      return c.json(finished(runId, summary, `re-syncing ${videoId}`));
    }
    const plan = await everythingPlan(rag, config.SYNC_SOURCES, corpusDir, service.cwd);
    const { runId } = await syncer.start('admin-resync-all', plan);
    return c.json({ runId, status: 'running' }, 202);
  });

  return app;
}
