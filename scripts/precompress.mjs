// Writes a brotli (.br) and a gzip (.gz) twin beside each wasm, JS and CSS file of the
// built site's pkg/ folder, for OnAir to send instead of compressing per request (see
// src/server/http/assets.rs). Twins whose source is gone (an older hashed build) are removed.
// Usage: node scripts/precompress.mjs [target/site/pkg]
import { readdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const dir = process.argv[2] ?? 'target/site/pkg';
const sources = /\.(wasm|js|css)$/;
for (const name of readdirSync(dir)) {
  const path = join(dir, name);
  if (/\.(br|gz)$/.test(name)) {
    if (!existsSync(path.replace(/\.(br|gz)$/, ''))) rmSync(path);
    continue;
  }
  if (!sources.test(name)) continue;
  const raw = readFileSync(path);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(`${path}.br`, br);
  writeFileSync(`${path}.gz`, gz);
  console.log(`${name}: ${raw.length} B, brotli ${br.length} B, gzip ${gz.length} B`);
}
