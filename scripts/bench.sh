#!/usr/bin/env bash
# Signaling benchmark: OnAir (release) against the reference Node `ws` server, same scenario,
# same load generator (examples/bench.rs); then the relay benchmark (examples/relay_bench.rs).
# Run by `make bench`; not part of `make test`.
#
#   BENCH_SIZES="1000 5000"  viewer counts (BENCH_FULL=1 adds 15000), viewers joining at
#   BENCH_JOIN_RATE=1000     viewers per second, the same for both servers: offer→answer is
#                            then each server's latency at that load
#   BENCH_BURST="5000"       viewer counts also run with every viewer joining at once (200
#                            connecting at a time): how fast each server admits them ("" skips)
#   BENCH_CANDIDATES=20      candidates each way per viewer in the storm
#   BENCH_IDLE=20            seconds to hold the viewers idle after the storm (0: skip); over
#                            15 s so that OnAir's heartbeat pings fall inside
#   BENCH_SPREAD_MS=0        spread the storm over this many ms (0: all at once, a burst)
#   BENCH_WAVES=1            waves of N viewers per run on the same server, each joining once
#                            the one before left
#   BENCH_PINNED=0           1: a flash crowd on one core instead: each server pinned to core 0
#                            (taskset -c 0), the load generator to core 1, every viewer joining
#                            at once (200 connecting at a time) at BENCH_BURST="1000 5000", 5
#                            candidates each way, no idle hold, and BENCH_WAVES=2 (the second
#                            wave right after the first left); the other knobs still apply
#   BENCH_NODE=1             0 skips the Node reference
#   BENCH_BUILD=1            0 skips the build (use what target/ holds)
#   BENCH_RELAY=1            the relay benchmark after the signaling one: `--relay on`, one str0m
#                            publisher (~1.5 Mbit/s VP8, a keyframe every 2 s, Opus) over WHIP, N
#                            str0m viewers over WHEP; server pinned to core 0, generator to core 1
#                            (taskset). 0 skips it; `only`: the relay benchmark alone
#   BENCH_RELAY_SIZES="50 200 500 1000"  viewer counts, joining at BENCH_RELAY_JOIN_RATE=100/s
#   BENCH_RELAY_FLASH=500    a flash crowd: this many viewers POST /whep at once ("" skips)
#   BENCH_RELAY_SECONDS=20   the measured window once every viewer plays
#   BENCH_RELAY_BASELINE=    the path of another onair binary (an earlier commit's release
#                            build): each relay size runs against it first, then against this
#                            build, on the same machine in the same run (the table's "server")
#   BENCH_RELAY_PUBLISHER=str0m  `ffmpeg`: ffmpeg 9's WHIP muxer publishes instead, with the
#                            admin's stream key: H.264 baseline 1280x720 at 30 fps, 2.5 Mbit/s, a
#                            keyframe a second, and Opus (needs scripts/install-tools.sh --tests)
#   BENCH_BROWSER=0          1: after the signaling benchmark, also run the browser benchmarks
#                            (end2end/bench: join-to-first-frame against OnAir and a plain-JS
#                            page, then mesh capacity) in headless Chromium with a fake camera;
#                            `only`: the browser benchmarks alone. Builds with `make release`
#                            (the wasm front end too); OnAir on port 9494 (TCP, and UDP for
#                            the relay), Node on 9495. Their own knobs (BENCH_VIEWERS,
#                            BENCH_MESH_*) are in each script's header.
#   BENCH_BROWSER_RUN="first-frame mesh"  which browser benchmarks run, in this order
#   BENCH_RELAY="off on"     OnAir's --relay modes each browser benchmark runs, side by side
#                            in one run: off (peer to peer), on (every viewer via the relay)
#   BENCH_INGEST=0           1: at the end, also the ingest benchmark (end2end/bench/ingest.mjs:
#                            first frame for a watch-page viewer joining a running ffmpeg WHIP
#                            stream with -g 30 and -g 60, beside the browser studio through the
#                            relay; its knobs are in its header); `only`: that alone. Builds with
#                            `make release`; needs scripts/install-tools.sh --tests (ffmpeg 9)
#
# Each run gets a freshly started server, so "RSS before" is an idle server every time.
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED=${BENCH_PINNED:-0}
if [[ "$PINNED" == 1 ]]; then
  SIZES=${BENCH_SIZES:-""} BURST=${BENCH_BURST-"1000 5000"}
  : "${BENCH_CANDIDATES:=5}" "${BENCH_IDLE:=0}" "${BENCH_WAVES:=2}" "${BENCH_RELAY:=0}"
else
  SIZES=${BENCH_SIZES:-"1000 5000"} BURST=${BENCH_BURST-5000}
fi
[[ "${BENCH_FULL:-0}" == 1 ]] && SIZES="$SIZES 15000"
RATE=${BENCH_JOIN_RATE:-1000}
# Scenarios as viewers:joins-per-second (0: all at once).
SCENARIOS=""
for n in $SIZES; do SCENARIOS="$SCENARIOS $n:$RATE"; done
for n in $BURST; do SCENARIOS="$SCENARIOS $n:0"; done
K=${BENCH_CANDIDATES:-20}
IDLE=${BENCH_IDLE:-20}
SPREAD=${BENCH_SPREAD_MS:-0}
WAVES=${BENCH_WAVES:-1}
ONAIR_PORT=${BENCH_ONAIR_PORT:-9393}  # not 9191: the browser tests use it
NODE_PORT=${BENCH_NODE_PORT:-9292}
PASSWORD="bench-$RANDOM-$RANDOM-$RANDOM"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/onair-bench.XXXXXX")
RESULTS="$WORK/results"
SERVER_PID=""
# Where cargo put the binaries (a shared CARGO_TARGET_DIR, or ./target).
RELEASE="${CARGO_TARGET_DIR:-target}/release"

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  SERVER_PID=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT

# Both servers get the full open-files limit (each socket is a file).
ulimit -n "$(ulimit -Hn)"

BROWSER=${BENCH_BROWSER:-0}
INGEST=${BENCH_INGEST:-0}
ingest_bench() {
  echo
  echo "== ingest benchmark (end2end/bench/ingest.mjs; $(nproc) cores)"
  node end2end/bench/ingest.mjs
}
browser_bench() {
  echo
  echo "== browser benchmarks (end2end/bench; $(nproc) cores, Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'))"
  local name
  for name in ${BENCH_BROWSER_RUN:-first-frame mesh}; do
    [[ -f end2end/bench/$name.mjs ]] || { echo "BENCH_BROWSER_RUN: no end2end/bench/$name.mjs" >&2; return 1; }
    echo
    BENCH_RELAY=${BENCH_RELAY:-off on} node "end2end/bench/$name.mjs"
  done
}

if [[ "${BENCH_BUILD:-1}" == 1 ]]; then
  echo "== building (release)"
  # The browser benchmarks need the wasm front end (target/site) as well.
  if [[ "$BROWSER" != 0 || "$INGEST" != 0 ]]; then make release; fi
  if [[ "$BROWSER" != only && "$INGEST" != only ]]; then cargo build --release --features ssr --bin onair --example bench --example relay_bench; fi
fi
if [[ ( "$BROWSER" != 0 || "$INGEST" != 0 ) && ! -d end2end/node_modules ]]; then (cd end2end && npm ci --no-audit --no-fund); fi
if [[ "$INGEST" == only ]]; then ingest_bench; exit 0; fi
if [[ "$BROWSER" == only ]]; then
  [[ -d bench/reference-node/node_modules ]] || (cd bench/reference-node && npm ci --no-audit --no-fund)
  browser_bench
  exit 0
fi
if [[ ( "${BENCH_NODE:-1}" == 1 || "$BROWSER" != 0 ) && "${BENCH_RELAY:-1}" != only && ! -d bench/reference-node/node_modules ]]; then
  echo "== installing the Node reference's dependencies"
  (cd bench/reference-node && npm ci --no-audit --no-fund)
fi

# Server on core 0, load generator on core 1, when there are two.
PIN_SERVER=() PIN_GENERATOR=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then PIN_SERVER=(taskset -c 0) PIN_GENERATOR=(taskset -c 1); fi
# The signaling runs share both cores unless pinned.
SIGNALING_SERVER=() SIGNALING_GENERATOR=()
if [[ "$PINNED" == 1 ]]; then
  [[ ${#PIN_SERVER[@]} -gt 0 ]] || { echo "BENCH_PINNED=1 needs 2 cores and taskset" >&2; exit 1; }
  SIGNALING_SERVER=("${PIN_SERVER[@]}") SIGNALING_GENERATOR=("${PIN_GENERATOR[@]}")
fi

wait_http() { # url
  for _ in $(seq 200); do
    curl -s -o /dev/null "$1" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server exited; its log:" >&2; cat "$WORK/server.log" >&2; return 1; }
    sleep 0.1
  done
  echo "the server did not answer $1" >&2
  return 1
}

start_onair() {
  local data="$WORK/data-$RANDOM"
  ONAIR_ADMIN_PASSWORD="$PASSWORD" "${SIGNALING_SERVER[@]}" "$RELEASE"/onair --addr "127.0.0.1:$ONAIR_PORT" --data-dir "$data" \
    --ice-server none --max-connections-per-ip 100000 --messages-per-second 100000 >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_http "http://127.0.0.1:$ONAIR_PORT/readyz"
}

start_node() {
  "${SIGNALING_SERVER[@]}" node bench/reference-node/server.js "$NODE_PORT" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_http "http://127.0.0.1:$NODE_PORT/"
}

run() { # label viewers:rate
  local label=$1 n=${2%%:*} rate=${2##*:} port auth=()
  if [[ $label == onair ]]; then start_onair; port=$ONAIR_PORT; auth=(--admin-password "$PASSWORD"); else start_node; port=$NODE_PORT; fi
  sleep 1 # let the fresh server settle before "RSS before"
  echo "== $label, $n viewers joining at $([[ $rate == 0 ]] && echo once || echo "$rate/s"), $K candidates each way$([[ $WAVES != 1 ]] && echo ", $WAVES waves")${SIGNALING_SERVER[*]:+; server ${SIGNALING_SERVER[*]}, generator ${SIGNALING_GENERATOR[*]}}"
  local idle=()
  [[ "$IDLE" != 0 ]] && idle=(--idle "$IDLE")
  if ! "${SIGNALING_GENERATOR[@]}" "$RELEASE"/examples/bench --label "$label" --url "ws://127.0.0.1:$port/ws" --server-pid "$SERVER_PID" \
      --viewers "$n" --join-rate "$rate" --candidates "$K" --waves "$WAVES" --storm-spread-ms "$SPREAD" "${auth[@]}" "${idle[@]}" | tee "$WORK/out"; then
    echo "(the $label run at $n viewers reported errors or lost messages; the server's last warnings:)"
    grep -aE "WARN|ERROR|error" "$WORK/server.log" | tail -5 || true
  fi
  grep '^RESULT ' "$WORK/out" >>"$RESULTS" || echo "RESULT label=$label viewers=$n join_rate=$rate failed=1" >>"$RESULTS"
  stop_server
}

RELAY=${BENCH_RELAY:-1}
RELAY_SIZES=${BENCH_RELAY_SIZES:-"50 200 500 1000"}
RELAY_FLASH=${BENCH_RELAY_FLASH-500}
RELAY_RATE=${BENCH_RELAY_JOIN_RATE:-100}
RELAY_SECONDS=${BENCH_RELAY_SECONDS:-20}
RELAY_PUBLISHER=${BENCH_RELAY_PUBLISHER:-str0m}
RELAY_RESULTS="$WORK/relay-results"

relay_run() { # viewers join-rate (0: at once) [label binary]
  local n=$1 rate=$2 label=${3:-onair} bin=${4:-$RELEASE/onair} data="$WORK/data-$RANDOM"
  ONAIR_ADMIN_PASSWORD="$PASSWORD" "${PIN_SERVER[@]}" "$bin" --addr "127.0.0.1:$ONAIR_PORT" --data-dir "$data" \
    --relay on --ice-server none --max-connections-per-ip 100000 --messages-per-second 100000 >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_http "http://127.0.0.1:$ONAIR_PORT/readyz"
  sleep 1
  echo "== relay ($label), $n viewers joining at $([[ $rate == 0 ]] && echo once || echo "$rate/s"), publisher $RELAY_PUBLISHER, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if ! "${PIN_GENERATOR[@]}" "$RELEASE"/examples/relay_bench --url "http://127.0.0.1:$ONAIR_PORT" --server-pid "$SERVER_PID" \
      --admin-password "$PASSWORD" --viewers "$n" --join-rate "$rate" --seconds "$RELAY_SECONDS" --publisher "$RELAY_PUBLISHER" --label "$label" | tee "$WORK/out"; then
    grep -aE "WARN|ERROR" "$WORK/server.log" | tail -5 || true
  fi
  grep '^RESULT ' "$WORK/out" >>"$RELAY_RESULTS" || echo "RESULT label=$label viewers=$n join_rate=$rate failed=1" >>"$RELAY_RESULTS"
  stop_server
}

relay_runs() { # viewers join-rate: against BENCH_RELAY_BASELINE first when set, then this build
  if [[ -n ${BENCH_RELAY_BASELINE:-} ]]; then relay_run "$1" "$2" baseline "$BENCH_RELAY_BASELINE"; fi
  relay_run "$1" "$2"
}

relay_table() {
  echo
  echo "== relay results ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); server ${PIN_SERVER[*]:-unpinned}, generator ${PIN_GENERATOR[*]:-unpinned}; ${RELAY_SECONDS} s windows; publisher ${RELAY_PUBLISHER}; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  awk '
    function field(line, key,   m) { return match(line, " " key "=[^ ]*") ? substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2) : "-" }
    function per_core(r) { return field(r, "server_cpu_pct") + 0 > 0 ? sprintf("%.0f", field(r, "viewers") * 100 / field(r, "server_cpu_pct")) : "-" }
    BEGIN {
      printf "| server | viewers | joining | playing | zero loss | frames missing | zero loss in the window | packets/s out | datagrams per send | Mbit/s out | server CPU (%% of a core) | µs CPU per viewer·s | viewers per core | relay delay p50 / p99 (ms) | end to end p50 / p99 (ms) | delta frames p50 / p99 (ms) | keyframes p50 / p99 (ms) | first copy p50 / p99 (ms) | first → last copy p50 / p99 (ms) | KiB per viewer | generator CPU %% | UDP buffer drops | last first frame (s) |\n"
      printf "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    }
    {
      n = field($0, "viewers"); rate = field($0, "join_rate") == "0" ? "at once" : field($0, "join_rate") "/s"
      if (field($0, "failed") == "1") { printf "| %s | %s | %s | failed | | | | | | | | | | | | | | | | | | | |\n", field($0, "label"), n, rate; next }
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s | %s | %s | %s |\n", field($0, "label"), n, rate, field($0, "playing"), field($0, "clean"), field($0, "missing"), field($0, "window_clean"),
        field($0, "pps_out"), field($0, "datagrams_per_send"), field($0, "mbps_out"), field($0, "server_cpu_pct"), field($0, "cpu_us_per_viewer"), per_core($0),
        field($0, "relay_p50_ms"), field($0, "relay_p99_ms"), field($0, "e2e_p50_ms"), field($0, "e2e_p99_ms"), field($0, "e2e_delta_p50_ms"), field($0, "e2e_delta_p99_ms"), field($0, "e2e_key_p50_ms"), field($0, "e2e_key_p99_ms"),
        field($0, "first_copy_p50_ms"), field($0, "first_copy_p99_ms"), field($0, "fan_out_p50_ms"), field($0, "fan_out_p99_ms"),
        field($0, "kib_per_viewer"), field($0, "generator_cpu_pct"), field($0, "rcvbuf_errors") + field($0, "sndbuf_errors"), field($0, "first_last_s")
    }' "$RELAY_RESULTS"
  echo
  echo "relay delay: a frame's last packet arriving → its hand-off to each viewer's session (/metrics onair_relay_forward_delay_seconds);"
  if [[ "$RELAY_PUBLISHER" == ffmpeg ]]; then
    echo "end to end: not measured with ffmpeg (its frames carry no write time of ours); zero loss: no gap in a viewer's RTP timestamps."
  else
    echo "end to end: the publisher's write → the viewer's complete frame, both in the generator (includes its own queueing); then the same for delta frames and for keyframes alone;"
    echo "first copy: per frame, the end-to-end delay of the copy that reached a viewer first; first → last copy: per frame, from that copy to the last viewer's (one core sends a frame to each viewer in turn)."
  fi
  echo "zero loss: viewers that got every frame from their first to the window's last (the joins included); in the window: from the window's first (a frame that came within 5 s of the window's end is late, not lost);"
  echo "viewers per core: viewers / server CPU; meaningful where zero loss = viewers. UDP buffer drops: /proc/net/snmp, either side."
}

if [[ "$RELAY" != only ]]; then
  for sc in $SCENARIOS; do run onair "$sc"; done
  if [[ "${BENCH_NODE:-1}" == 1 ]]; then
    for sc in $SCENARIOS; do run node "$sc"; done
  fi
fi
if [[ "$RELAY" != 0 ]]; then
  for n in $RELAY_SIZES; do relay_runs "$n" "$RELAY_RATE"; done
  for n in $RELAY_FLASH; do relay_runs "$n" 0; done
fi
if [[ "$RELAY" == only ]]; then relay_table; exit 0; fi

echo
echo "== results ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $([[ "$PINNED" == 1 ]] && echo "server on core 0, generator on core 1" || echo "client and server share the cores"), K=$K, storm spread ${SPREAD} ms)"
awk -v scenarios="$SCENARIOS" -v waves="$WAVES" '
  function field(line, key,   m) { return match(line, " " key "=[^ ]*") ? substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2) : "-" }
  function ratio(a, b) { return (a + 0 > 0 && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
  function clean(r) { return field(r, "lost") == "0" && field(r, "errors") == "0" }
  function joins(rate) { return rate == "0" ? "at once" : rate "/s" }
  function latency(r) { return r == "" ? "-" : field(r, "p50_ms") " / " field(r, "p99_ms") }
  function join(r) { return r == "" ? "-" : field(r, "join_p50_ms") " / " field(r, "join_p99_ms") }
  function busy(r) { return field(r, "server_cpu_pct") " / " field(r, "generator_cpu_pct") }
  # A run that failed before its RESULT line stands for all its waves.
  { w = field($0, "wave"); if (w == "-") w = 1
    key = field($0, "label") SUBSEP field($0, "viewers") ":" field($0, "join_rate")
    if (field($0, "failed") == "1") for (v = 1; v <= waves; v++) row[key, v] = $0; else row[key, w] = $0 }
  END {
    split(scenarios, sc, " ")
    printf "| server | viewers | joining | wave | negotiated (s) | offer→answer p50 / p99 (ms) | connect→offer p50 / p99 (ms) | CPU %% server / generator | candidates/s | RSS before → peak (MiB) | KiB/viewer | errors | lost |\n"
    printf "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    for (i = 1; i in sc; i++) for (w = 1; w <= waves; w++) for (l = 1; l <= 2; l++) {
      lab = l == 1 ? "onair" : "node"; r = row[lab, sc[i], w]; split(sc[i], nr, ":")
      if (r == "") continue
      if (field(r, "failed") == "1") { printf "| %s | %s | %s | %s | failed | | | | | | | | |\n", lab, nr[1], joins(nr[2]), w; continue }
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f → %.1f | %s | %s | %s |\n", lab, nr[1], joins(nr[2]), w, field(r, "negotiate_s"),
        latency(r), join(r), busy(r), field(r, "cand_per_s"), field(r, "rss_before_kib") / 1024,
        field(r, "rss_peak_kib") / 1024, field(r, "kib_per_viewer"), field(r, "errors"), field(r, "lost")
    }
    printf "\nA run with lost messages did not finish its storm: its candidates/s is what got through before the timeout.\n"
    printf "\nSide by side (ratios: OnAir over Node for rates, Node over OnAir for memory; msg/s: every message delivered over negotiation and storm):\n\n"
    printf "| viewers | joining | wave | p50 / p99 OnAir (ms) | p50 / p99 Node (ms) | connect→offer p50 / p99 OnAir (ms) | connect→offer p50 / p99 Node (ms) | candidates/s OnAir | candidates/s Node | candidates/s ratio | msg/s ratio | KiB/viewer OnAir | KiB/viewer Node | memory ratio |\n"
    printf "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    for (i = 1; i in sc; i++) for (w = 1; w <= waves; w++) {
      o = row["onair", sc[i], w]; d = row["node", sc[i], w]; split(sc[i], nr, ":")
      if (o == "" || d == "") continue
      both = clean(o) && clean(d)
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", nr[1], joins(nr[2]), w, latency(o), latency(d), join(o), join(d),
        field(o, "cand_per_s"), field(d, "cand_per_s"),
        both ? ratio(field(o, "cand_per_s"), field(d, "cand_per_s")) : "n/a (messages lost)",
        both ? ratio(field(o, "msgs_per_s"), field(d, "msgs_per_s")) : "n/a",
        field(o, "kib_per_viewer"), field(d, "kib_per_viewer"), ratio(field(d, "kib_per_viewer"), field(o, "kib_per_viewer"))
    }
  }' "$RESULTS"
if grep -q idle_cpu_s "$RESULTS"; then
  echo
  echo "idle (BENCH_IDLE=$IDLE s, viewers held after the storm):"
  awk '{ delete f; for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
         if (f["idle_cpu_s"] != "") printf "  %-6s %6s viewers (joining %s%s): server CPU %s s, %s KiB per viewer\n", f["label"], f["viewers"], f["join_rate"] == "0" ? "at once" : f["join_rate"] "/s", f["wave"] > 1 ? ", wave " f["wave"] : "", f["idle_cpu_s"], f["idle_kib_per_viewer"] }' "$RESULTS"
fi

echo
echo "front-end bundle (target/site/pkg, as last built: release after \`make release\`, debug after \`make build\`):"
for ext in wasm js css; do
  # Names carry a content hash (hash-files); the newest is the last build's.
  f=$(ls -t target/site/pkg/onair*."$ext" 2>/dev/null | head -1 || true)
  if [[ -n $f ]]; then
    br="(no .br: run \`make release\`)"
    [[ -f $f.br ]] && br="$(wc -c <"$f.br") brotli (served)"
    printf "  %-6s %9d bytes raw, %8d gzip -9, %s\n" "$ext" "$(wc -c <"$f")" "$(gzip -9 -c "$f" | wc -c)" "$br"
  else
    echo "  $ext: not built (run \`make release\`)"
  fi
done

if [[ "$RELAY" != 0 ]]; then relay_table; fi

if [[ "$BROWSER" != 0 ]]; then browser_bench; fi

if [[ "$INGEST" != 0 ]]; then ingest_bench; fi
