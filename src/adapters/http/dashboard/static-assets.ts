import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` puts the pages: <package>/dist/web, from src/ (tsx) or dist/ alike. */
const ASSETS_DIR = fileURLToPath(new URL('../../../../dist/web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** What web/build.mjs writes. */
const BUILT_FILES = new Set(['index.html', 'app.js', 'app.js.map', 'style.css', 'style.css.map']);

export interface Asset {
  body: Buffer;
  contentType: string;
}

/**
 * The built files, read once and kept (a few hundred KiB). Only the build's
 * file names are served: no path from a request ever reaches the file system.
 */
export function createStaticAssets(dir = ASSETS_DIR) {
  const loaded = new Map<string, Promise<Asset | undefined>>();
  return (name: string): Promise<Asset | undefined> => {
    if (!BUILT_FILES.has(name)) return Promise.resolve(undefined);
    let asset = loaded.get(name);
    if (!asset) {
      asset = readFile(dir + name).then(
        (body) => ({ body, contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream' }),
        () => undefined,
      );
      loaded.set(name, asset);
    }
    return asset;
  };
}
