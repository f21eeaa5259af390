#!/usr/bin/env bash
# Runs the network lab's scenarios (all, or those named), each group of them in a lab of its
# own, the groups side by side; prints each scenario's result and measured times, and exits
# non-zero when one failed. A group that fails runs once more, alone in a fresh lab (three labs
# of Chromiums share 2 cores: one slow moment can miss a deadline); it fails the run only if it
# fails again, and the summary at the end names every failure either way. Skips (exit 0) only
# where network namespaces cannot be created.
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

# Starts one group in lab `index` in the background; its exit code and seconds go to rc.
start_group() { # index turn relay scenarios...
  local index=$1 turn=$2 relay=$3; shift 3
  local lab_prefix="${prefix}-$index-" dir="$work/lab$index" started
  mkdir -p "$dir"
  labs+=("$lab_prefix $dir")
  started=$(date +%s)
  ( if run_group "$lab_prefix" "$index" "$dir" "$turn" "$relay" "$@" >"$dir/output.txt" 2>&1; then rc=0; else rc=$?; fi
    echo "$rc $(( $(date +%s) - started ))" >"$dir/rc" ) &
  pids+=($!)
}

# Prints lab `index`'s output and results; returns its exit code.
show_group() { # index label
  local i=$1 dir="$work/lab$1" rc seconds
  read -r rc seconds <"$dir/rc" || { rc=1; seconds=?; }
  echo "=== netlab: $2 (TURN/relay lab $i, ${seconds} s): $([[ $rc == 0 ]] && echo passed || echo FAILED)"
  sed 's/^/    /' "$dir/output.txt"
  [[ -f $dir/results.txt ]] && sed 's/^/  result: /' "$dir/results.txt"
  [[ $rc != 0 ]] && echo "    OnAir's log: $dir/onair.log, coturn's: $dir/coturn.log"
  return "$rc"
}

# The first failing lines of lab `index`'s Playwright output (its verdict in a few lines).
why_failed() {
  grep -m 6 -E "✘|Error:|Expected|Received|Timeout" "$work/lab$1/output.txt" | sed 's/^ */      /' || true
}

pids=()
entries=()
index=$first_index
for group in "${groups[@]}"; do
  read -r turn relay scenarios <<<"$group"
  mine=()
  for s in $scenarios; do [[ " ${wanted[*]} " == *" $s "* ]] && mine+=("$s"); done
  [[ ${#mine[@]} -eq 0 ]] && continue
  start_group "$index" "$turn" "$relay" "${mine[@]}"
  entries+=("$index $turn $relay ${mine[*]}")
  index=$((index + 1))
done
wait "${pids[@]}" || true

failed=0
summary=()
for entry in "${entries[@]}"; do
  read -r i turn relay scenarios <<<"$entry"
  show_group "$i" "$scenarios" && { summary+=("passed: $scenarios"); continue; }
  first_why=$(why_failed "$i")
  "$here/lab.sh" down "${prefix}-$i-" "$work/lab$i" || true
  # Once more, alone.
  pids=()
  start_group "$index" "$turn" "$relay" $scenarios
  wait "${pids[@]}" || true
  if show_group "$index" "$scenarios (second try, alone)"; then
    summary+=("passed on its second try, alone: $scenarios; the first try failed:" "$first_why")
  else
    failed=1
    summary+=("FAILED twice: $scenarios; first try:" "$first_why" "    second try:" "$(why_failed "$index")")
  fi
  index=$((index + 1))
done
echo "=== netlab summary"
printf '  %s\n' "${summary[@]}"
# Logs are kept only when something failed.
[[ $failed == 0 ]] && rm -rf "$work"
exit $failed
