import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * The page's browser code and style, bundled by esbuild from client/ once per process (a few tens
 * of milliseconds) and kept in memory: no build step, no CDN, nothing fetched from elsewhere.
 */

export interface Asset {
  body: string;
  type: string;
  etag: string;
}

export interface Assets {
  files: Map<string, Asset>;
  /** Changes with any file: cache-busts the links in the pages. */
  version: string;
}

const CLIENT_DIR = fileURLToPath(new URL('./client/', import.meta.url));

async function bundle(entry: string, type: string): Promise<Asset> {
  const result = await build({
    entryPoints: [`${CLIENT_DIR}${entry}`],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    charset: 'utf8',
    logLevel: 'silent',
  });
  const body = result.outputFiles[0]?.text ?? '';
  return { body, type, etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"` };
}

let loading: Promise<Assets> | undefined;

export function loadAssets(): Promise<Assets> {
  loading ??= (async () => {
    const [js, css] = await Promise.all([
      bundle('watch.ts', 'text/javascript; charset=utf-8'),
      bundle('watch.css', 'text/css; charset=utf-8'),
    ]);
    const files = new Map([
      ['watch.js', js],
      ['watch.css', css],
    ]);
    const version = createHash('sha1').update(js.etag).update(css.etag).digest('hex').slice(0, 10);
    return { files, version };
  })().catch((err) => {
    loading = undefined; // a failed build is tried again on the next request
    throw err;
  });
  return loading;
}
