import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

export interface Asset {
  body: ArrayBuffer;
  type: string;
  etag: string;
}

export interface AssetBundle {
  files: Map<string, Asset>;
  /** Changes whenever any file changes: cache-busts the shell's links. */
  version: string;
}

/** Reads the front end once at start-up; only these files are ever served (no path from the request). */
export function loadAssets(dir = STATIC_DIR): AssetBundle {
  const files = new Map<string, Asset>();
  const all = createHash('sha1');
  for (const name of readdirSync(dir).sort()) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = readFileSync(path.join(dir, name));
    const hash = createHash('sha1').update(body).digest('hex').slice(0, 16);
    all.update(hash);
    files.set(name, { body: new Uint8Array(body).slice().buffer, type, etag: `"${hash}"` });
  }
  return { files, version: all.digest('hex').slice(0, 10) };
}
