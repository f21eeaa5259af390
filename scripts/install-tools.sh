#!/usr/bin/env bash
# Installs what OnAir's build (and, with --tests, its test suite) needs, each only when missing.
# Versions are pinned; wasm-bindgen-cli follows the wasm-bindgen version in Cargo.lock.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132.0.0
IMAGEIO_FFMPEG_VERSION=0.8.1
want_tests=false
[[ "${1:-}" == "--tests" ]] && want_tests=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# rust-toolchain.toml names the toolchain by version; a machine whose one toolchain is
# "stable" at that version gets it linked under that name instead of downloading a copy.
toolchain=$(awk -F'"' '/^channel/ { print $2 }' rust-toolchain.toml)
if ! rustup toolchain list | grep -q "^${toolchain}-"; then
  if rustup run stable rustc --version 2>/dev/null | grep -q "^rustc ${toolchain} "; then
    say "linking the installed stable toolchain as ${toolchain}"
    rustup toolchain link "${toolchain}" "$(rustup run stable rustc --print sysroot)"
  fi
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  # A linked toolchain takes no targets of its own: add it to the stable one it points at.
  if [[ "$(rustc --print sysroot)" == "$(rustup run stable rustc --print sysroot 2>/dev/null)" ]]; then
    rustup target add --toolchain stable wasm32-unknown-unknown
  else
    rustup target add wasm32-unknown-unknown
  fi
fi

if ! cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
  say "installing cargo-leptos ${CARGO_LEPTOS_VERSION} (about 10 minutes on 2 cores)"
  # no_downloads: a missing tool is a clear error instead of a failed download.
  cargo install cargo-leptos --version "${CARGO_LEPTOS_VERSION}" --locked --features no_downloads
fi

wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [[ -z "$wb_version" ]]; then
  echo "cannot find the wasm-bindgen version in Cargo.lock" >&2
  exit 1
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${wb_version}\$"; then
  say "installing wasm-bindgen-cli ${wb_version} (about 2 minutes)"
  # Not --locked: the 0.2.130 lockfile names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "${wb_version}" --force
fi

# Release builds run wasm-opt; Debian's binaryen 108 emits a wasm that fails at start.
if ! .tools/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  say "installing binaryen ${BINARYEN_VERSION} (wasm-opt) into .tools/"
  npm install --prefix .tools --no-audit --no-fund --no-save "binaryen@${BINARYEN_VERSION}" >/dev/null
fi

if $want_tests; then
  if [[ ! -x /usr/bin/chromium ]]; then
    say "installing Debian's chromium for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  fi
  # The network lab (end2end/netlab/): NAT and faults, a TURN server, NAT mappings.
  missing=()
  command -v iptables >/dev/null || missing+=(iptables)
  command -v turnserver >/dev/null || missing+=(coturn)
  command -v conntrack >/dev/null || missing+=(conntrack)
  if [[ ${#missing[@]} -gt 0 ]]; then
    say "installing ${missing[*]} for the network lab"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if [[ ! -x end2end/node_modules/.bin/playwright ]] || ! cmp -s end2end/package-lock.json end2end/node_modules/.package-lock.json 2>/dev/null; then
    say "installing the end2end packages (Playwright, no browser download)"
    (cd end2end && npm ci --no-audit --no-fund >/dev/null)
  fi
  # Debian's ffmpeg (5.1) has no WHIP muxer; this wheel carries an ffmpeg 9 build with whip,
  # libx264 and libopus. The path is tests/common's `ffmpeg_for_whip` (keep both in step).
  if [[ ! -x .tools/python/imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v9.0.2 ]]; then
    say "installing imageio-ffmpeg ${IMAGEIO_FFMPEG_VERSION} (ffmpeg with WHIP) into .tools/python"
    python3 -m pip install --quiet --disable-pip-version-check --target .tools/python \
      "imageio-ffmpeg==${IMAGEIO_FFMPEG_VERSION}"
    chmod +x .tools/python/imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v9.0.2
  fi
fi
