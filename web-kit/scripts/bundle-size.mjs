// Measures the JavaScript index.html loads before any lazy page (entry + its static imports), gzipped.
// Run in an app's folder after `vite build`: node ../web-kit/scripts/bundle-size.mjs
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const LIMIT = 300 * 1024;
const dist = join(process.cwd(), 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
// asset URLs carry the app's base (/portal/, /console/): the file is what follows it
const rel = (href) => href.replace(/^\/[^/]+\//, '');
const files = new Set();
for (const m of html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)) files.add(rel(m[1]));
for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g)) files.add(rel(m[1]));
let total = 0;
for (const f of files) total += gzipSync(readFileSync(join(dist, f))).length;
const kb = (total / 1024).toFixed(1);
console.log(`initial JS: ${kb} KB gzipped (${files.size} files; limit 300 KB)`);
if (total > LIMIT) {
  console.error(`initial JS ${kb} KB gzipped exceeds 300 KB`);
  process.exit(1);
}
