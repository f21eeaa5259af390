#!/usr/bin/env bash
# Runs the network lab's scenarios (all, or those named), each group of them in a lab of its
# own, the groups side by side; prints each scenario's result and measured times, and exits
# non-zero when one failed. Skips (exit 0) only where network namespaces cannot be created.
#   run.sh [routes|no-turn|cut-link|studio-cut|rebind|relay|relay-udp-blocked ...]
# Environment: ONAIR_BIN, ONAIR_SITE (the build to test), NETLAB_PREFIX (namespace names),
# NETLAB_FIRST_INDEX (10.77.N.0/24: the first lab's N).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export ONAIR_BIN=${ONAIR_BIN:-$root/target/debug/onair}
export ONAIR_SITE=${ONAIR_SITE:-$root/target/site}
export ONAIR_CONFIG=${ONAIR_CONFIG:-$root/Leptos.toml}
prefix=${NETLAB_PREFIX:-nl$$}
first_index=${NETLAB_FIRST_INDEX:-$((10 + $$ % 200))}

# A lab per configuration: TURN on|off, relay off|on, and the scenarios it runs.
groups=(
  "on off routes cut-link studio-cut rebind"
  "off off no-turn"
  "on on relay relay-udp-blocked"
)
wanted=("$@")
[[ ${#wanted[@]} -eq 0 ]] && wanted=(routes no-turn cut-link studio-cut rebind relay relay-udp-blocked)

if [[ $(id -u) -ne 0 ]] || ! ip netns add "${prefix}probe" 2>/dev/null; then
  echo "netlab: SKIPPED: network namespaces cannot be created here (needs root and ip netns)."
  exit 0
fi
ip netns del "${prefix}probe"
for tool in iptables turnserver conntrack; do
  command -v "$tool" >/dev/null || { echo "netlab: $tool is missing (scripts/install-tools.sh --tests installs it)" >&2; exit 1; }
done
[[ -x $ONAIR_BIN && -d $ONAIR_SITE ]] || { echo "netlab: no build at $ONAIR_BIN / $ONAIR_SITE (make build)" >&2; exit 1; }

work=$(mktemp -d /tmp/netlab.XXXXXX)
labs=()
cleanup() {
  for entry in "${labs[@]}"; do
    "$here/lab.sh" down "${entry% *}" "${entry#* }" || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_group() {
  local lab_prefix=$1 index=$2 dir=$3 turn=$4 relay=$5; shift 5
  local grep; grep=$(printf '\\[%s\\]|' "$@"); grep=${grep%|}
  "$here/lab.sh" up "$lab_prefix" "$index" "$dir" "$turn" "$relay" || return 1
  (cd "$here" && NETLAB_PREFIX=$lab_prefix NETLAB_INDEX=$index NETLAB_DIR=$dir NETLAB_TURN=$turn NETLAB_RELAY=$relay \
    npx playwright test -c playwright.config.ts --grep "$grep")
}

pids=()
names=()
index=$first_index
for group in "${groups[@]}"; do
  read -r turn relay scenarios <<<"$group"
  mine=()
  for s in $scenarios; do [[ " ${wanted[*]} " == *" $s "* ]] && mine+=("$s"); done
  [[ ${#mine[@]} -eq 0 ]] && continue
  lab_prefix="${prefix}-$index-"
  dir="$work/lab$index"
  mkdir -p "$dir"
  labs+=("$lab_prefix $dir")
  started=$(date +%s)
  ( if run_group "$lab_prefix" "$index" "$dir" "$turn" "$relay" "${mine[@]}" >"$dir/output.txt" 2>&1; then rc=0; else rc=$?; fi
    echo "$rc $(( $(date +%s) - started ))" >"$dir/rc" ) &
  pids+=($!)
  names+=("$index:${mine[*]}")
  index=$((index + 1))
done

wait "${pids[@]}" || true
failed=0
for entry in "${names[@]}"; do
  i=${entry%%:*}
  dir="$work/lab$i"
  read -r rc seconds <"$dir/rc" || { rc=1; seconds=?; }
  echo "=== netlab: ${entry#*:} (TURN/relay lab $i, ${seconds} s): $([[ $rc == 0 ]] && echo passed || echo FAILED)"
  sed 's/^/    /' "$dir/output.txt"
  [[ -f $dir/results.txt ]] && sed 's/^/  result: /' "$dir/results.txt"
  if [[ $rc != 0 ]]; then
    failed=1
    echo "    OnAir's log: $dir/onair.log, coturn's: $dir/coturn.log"
  fi
done
# Logs are kept only when something failed.
[[ $failed == 0 ]] && rm -rf "$work"
exit $failed
