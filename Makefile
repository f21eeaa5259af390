# OnAir. `make run` starts it; `make test` runs every test. Both install what is missing first.
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

ADDR ?= 127.0.0.1:9090

.PHONY: run dev build release test lint test-rust test-e2e test-e2e-release netlab bench tools tools-test clean

## Build a release and serve it on $(ADDR) (admin password: ONAIR_ADMIN_PASSWORD, else printed).
run: tools release
	ONAIR_ADDR=$(ADDR) ./target/release/onair --site-root target/site

## Rebuild and reload on every change.
dev: tools
	cargo leptos watch

## Debug build of the server and the wasm front end.
build: tools
	cargo leptos build

## Release build; pkg/ files get brotli and gzip twins that the server sends as they are. The
## wasm is split: the watch page's code in the file every visitor loads, each other page's in
## its own (browser/pages.rs); and the watch page's starter, a small wasm that connects first
## (browser/starter.rs), is built beside it.
release: tools
	cargo leptos build --release --split --lib-features split
	scripts/build-starter.sh target/site/pkg target/release/hash.txt
	node scripts/precompress.mjs target/site/pkg

## Every test: formatting and lints, unit and integration (cargo), then end to end in Chromium
## against the debug build, the network lab (NATs, TURN, cut links) against the same build,
## and end to end against the release build that `make run` serves. The lab runs before the
## release: a debug `cargo leptos build` after a release one leaves the release's files in
## target/site/pkg, which the debug binary's hash.txt does not name (pages then fail to load).
test: tools-test lint test-rust test-e2e netlab test-e2e-release

## rustfmt and clippy (warnings are errors) on every build: the server with its tests and
## examples, the browser's wasm (one file and split) and the watch page's starter.
lint:
	cargo fmt --check
	RUSTFLAGS="--cfg erase_components" cargo clippy --all-targets --features ssr -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features split -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features starter -- -D warnings

# Same RUSTFLAGS as cargo-leptos's debug build, so both share one set of compiled dependencies.
test-rust:
	RUSTFLAGS="--cfg erase_components" cargo test --features ssr

test-e2e: build
	cd end2end && npx playwright test

test-e2e-release: release
	cd end2end && ONAIR_E2E_RELEASE=1 ONAIR_E2E_BIN=../target/release/onair npx playwright test

## The network lab (end2end/netlab/, needs root): every scenario, or SCENARIO=cut-link (one or
## several, space-separated). Skipped with a message where namespaces cannot be created.
SCENARIO ?=
netlab: build
	end2end/netlab/run.sh $(SCENARIO)

## Signaling benchmark, OnAir against the reference Node `ws` server, then the relay benchmark
## (not part of `make test`). BENCH_FULL=1 adds 15000 viewers, BENCH_RELAY=0 skips the relay,
## BENCH_RELAY=only runs it alone; see scripts/bench.sh for the other knobs.
bench:
	scripts/bench.sh

tools:
	@scripts/install-tools.sh

tools-test:
	@scripts/install-tools.sh --tests

clean:
	cargo clean
	rm -rf end2end/test-results
