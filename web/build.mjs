#!/usr/bin/env node
// Builds the dashboard's browser assets into dist/web/ (run by `npm run build`,
// hence at `npm install`). Everything is bundled: the gateway may run air-gapped, so
// the pages load nothing from anywhere but the gateway itself.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const web = dirname(fileURLToPath(import.meta.url));
const out = join(web, '..', 'dist', 'web');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: join(web, 'src', 'main.tsx'), style: join(web, 'src', 'style.css') },
  outdir: out,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
});
copyFileSync(join(web, 'src', 'index.html'), join(out, 'index.html'));
