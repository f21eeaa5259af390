#!/usr/bin/env bash
# Builds the watch page's starter (src/browser/starter.rs: a small wasm of its own that answers
# the first offer while the player's wasm loads) into the site's pkg/ folder, content-hashed,
# and names it in hash.txt (`starter-js:`, `starter-wasm:`), where the server finds it. Run after
# `cargo leptos build --release` (which rewrites hash.txt): `make release` does.
#
#   scripts/build-starter.sh [SITE_PKG_DIR] [HASH_FILE]   (default target/site/pkg, target/release/hash.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=${1:-target/site/pkg}
hash_file=${2:-target/release/hash.txt}
out=target/starter/pkg

# Its own target folder: other features than the player's build, so neither rebuilds the other.
cargo build --lib --target wasm32-unknown-unknown --profile wasm-release --no-default-features \
  --features starter --target-dir target/starter
rm -rf "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name starter \
  target/starter/wasm32-unknown-unknown/wasm-release/onair.wasm
# Debian's binaryen 108 breaks the release wasm: the pinned one from .tools/ (scripts/install-tools.sh).
.tools/node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers --enable-reference-types \
  --enable-multivalue --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals -o "$out/starter.wasm" "$out/starter_bg.wasm"

hash() { sha256sum "$1" | cut -c1-20; }
js_hash=$(hash "$out/starter.js")
wasm_hash=$(hash "$out/starter.wasm")
rm -f "$pkg"/starter.*
cp "$out/starter.js" "$pkg/starter.$js_hash.js"
cp "$out/starter.wasm" "$pkg/starter.$wasm_hash.wasm"
sed -i '/^starter-/d' "$hash_file"
printf 'starter-js: %s\nstarter-wasm: %s\n' "$js_hash" "$wasm_hash" >> "$hash_file"
echo "starter: $(stat -c %s "$pkg/starter.$wasm_hash.wasm") B wasm, $(stat -c %s "$pkg/starter.$js_hash.js") B JS"
