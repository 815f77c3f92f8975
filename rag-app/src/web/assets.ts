import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/**
 * The page's browser code and style, bundled by esbuild from client/ (TypeScript, type-checked by
 * tsconfig.client.json) once per process and kept in memory: no build step, no CDN, nothing fetched
 * from elsewhere. Synchronous (a few tens of milliseconds) because the app is made synchronously.
 */

export const CLIENT_DIR = fileURLToPath(new URL('./client/', import.meta.url));

export interface Asset {
  body: ArrayBuffer;
  type: string;
  etag: string;
}

export interface AssetBundle {
  /** By the name the shell links to (`/static/<name>`); only these are ever served. */
  files: Map<string, Asset>;
  /** Changes whenever any file changes: cache-busts the shell's links. */
  version: string;
}

/** The files the shell links to (`/static/<name>`), each bundled from the entry of the same stem. */
const ENTRIES = ['app.ts', 'style.css'];
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
/** esbuild names its in-memory outputs under this directory (nothing is written there). */
const OUT_DIR = path.join(CLIENT_DIR, 'out');

/** Both entries in one esbuild call: each buildSync starts esbuild's process again. */
function bundle(): Map<string, Asset> {
  const result = buildSync({
    entryPoints: ENTRIES.map((entry) => path.join(CLIENT_DIR, entry)),
    outdir: OUT_DIR,
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    charset: 'utf8',
    logLevel: 'silent',
  });
  const files = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = path.relative(OUT_DIR, file.path);
    const hash = createHash('sha1').update(file.contents).digest('hex').slice(0, 16);
    files.set(name, {
      body: file.contents.slice().buffer,
      type: TYPES[path.extname(name)] ?? 'application/octet-stream',
      etag: `"${hash}"`,
    });
  }
  return files;
}

let built: AssetBundle | undefined;

/** Bundles the front end on first use (a build error names the file and line), then reuses it. */
export function loadAssets(): AssetBundle {
  if (built) return built;
  const files = bundle();
  const all = createHash('sha1');
  for (const asset of files.values()) all.update(asset.etag);
  built = { files, version: all.digest('hex').slice(0, 10) };
  return built;
}
