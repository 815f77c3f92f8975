import { Hono } from 'hono';
import type { AssetBundle } from '../../../web/assets.ts';
import { PAGES, type PageName, renderShell } from '../../../web/shell.ts';
import type { AppEnv } from '../../context.ts';

/** The web front end: HTML shells for each page and the static files they load. */
export function pageRoutes(assets: AssetBundle): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  for (const [name, page] of Object.entries(PAGES) as [PageName, (typeof PAGES)[PageName]][]) {
    const html = renderShell(name, assets.version);
    app.get(page.path, (c) => {
      c.header('Cache-Control', 'no-cache');
      return c.html(html);
    });
  }

  app.get('/static/:name', (c) => {
    const asset = assets.files.get(c.req.param('name'));
    if (!asset) return c.notFound();
    c.header('ETag', asset.etag);
    c.header('Cache-Control', 'no-cache');
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    c.header('Content-Type', asset.type);
    return c.body(asset.body);
  });

  return app;
}
