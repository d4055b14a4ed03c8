#!/usr/bin/env bash
# Word count benchmark: hand-written Java (2 threads, no Beam) vs DmergeRunner vs DirectRunner,
# measured side by side in one run, each run in its own fresh JVM, wall time taken around the JVM
# (JVM startup included for all three). Prints a markdown report on stdout, progress on stderr.
#
#   bench/wordcount/run.sh                 # 100 MiB input, 3 runs per system, median reported
#   bench/wordcount/run.sh --size=500      # 500 MiB input
#   bench/wordcount/run.sh --runs=5 --profile
#
# Options:
#   --size=N      input size in MiB (default 100); generated once into /tmp/dmerge-wc-<N>m.txt
#   --runs=N      timed runs per system (default 3); runs are interleaved round-robin
#   --profile     after the timed runs, one more (untimed) DmergeRunner run under JFR; prints the
#                 top inclusive io.dmerge.* frames and the top self frames
#   --skip-build  use bench/wordcount/target as built last time
#   --systems=L   comma-separated subset of hand,dmerge,direct (default all; hand is always run,
#                 it is the reference of the comparison and of the output check)
#   --timeout=S   per-run limit in seconds (default 600); a system that hits it is reported as
#                 "> S" and not run again (the DirectRunner takes very long on this input)
# Environment: JAVA_OPTS (extra JVM flags for every run, default none), MVN_FLAGS (default -o),
#   KEEP=1 keeps the work directory (outputs, logs) under /tmp.
#
# All three outputs (every run) are sorted with the examples' SortedOutput and must be
# byte-identical (cmp) to the hand-written one, or the script fails.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SIZE=100
RUNS=3
PROFILE=0
BUILD=1
TIMEOUT=600
for a in "$@"; do
  case "$a" in
    --size=*) SIZE="${a#--size=}" ;;
    --runs=*) RUNS="${a#--runs=}" ;;
    --profile) PROFILE=1 ;;
    --skip-build) BUILD=0 ;;
    --timeout=*) TIMEOUT="${a#--timeout=}" ;;
    --systems=*) SYSTEMS_ARG="${a#--systems=}" ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done
MVN_FLAGS="${MVN_FLAGS:--o}"
SYSTEMS_ARG="${SYSTEMS_ARG:-}"
read -r -a JOPTS <<<"${JAVA_OPTS:-}"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
WORK="$(mktemp -d /tmp/dmerge-bench-wordcount.XXXXXX)"
cleanup() { if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

if [[ $BUILD == 1 ]]; then
  echo "building..." >&2
  if ! (cd "$ROOT" && mvn $MVN_FLAGS -q install -DskipTests -pl examples/wordcount -am) >"$WORK/build.log" 2>&1; then
    # The reactor build reads every module's POM; if an unrelated one is broken (work in
    # progress elsewhere), build the chain module by module instead.
    echo "reactor build failed (see below); building parent, shuffle, runner, examples/wordcount one by one" >&2
    grep -m3 -E 'ERROR|FATAL' "$WORK/build.log" >&2 || true
    mvn $MVN_FLAGS -q -f "$ROOT/pom.xml" -N install >&2
    for m in shuffle runner examples/wordcount; do
      mvn $MVN_FLAGS -q -f "$ROOT/$m/pom.xml" install -DskipTests >&2
    done
  fi
  mvn $MVN_FLAGS -q -f "$HERE/pom.xml" package dependency:build-classpath \
    -Dmdep.outputFile="$HERE/target/classpath.txt" >&2
fi
# Snapshot the project's own jars: the local repository is shared, and a concurrent
# 'mvn install' of shuffle or runner elsewhere must not change the classpath between runs.
SNAP="$HERE/target/dmerge-jars"
if [[ $BUILD == 1 || ! -d "$SNAP" ]]; then
  rm -rf "$SNAP"; mkdir -p "$SNAP"
  tr ':' '\n' <"$HERE/target/classpath.txt" | grep '/io/dmerge/' | xargs -r cp -t "$SNAP"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC') from commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "($(git -C "$ROOT" status --porcelain -- shuffle runner examples/wordcount 2>/dev/null | wc -l) uncommitted files in shuffle/, runner/, examples/wordcount/)" \
    >"$SNAP/build-info.txt"
fi
CP="$HERE/target/classes"
while IFS= read -r jar || [[ -n "$jar" ]]; do
  if [[ "$jar" == */io/dmerge/* ]]; then CP+=":$SNAP/$(basename "$jar")"; else CP+=":$jar"; fi
done < <(tr ':' '\n' <"$HERE/target/classpath.txt")
# A DmergeRunner user has no DirectRunner on the classpath. Its jar registers six more
# PipelineOptions registrars, which every Beam JVM validates at start-up (about 0.5 s here).
CP_NO_DIRECT="$(tr ':' '\n' <<<"$CP" | grep -v '/beam-runners-direct-java-' | paste -sd:)"

INPUT="/tmp/dmerge-wc-${SIZE}m.txt"
if [[ ! -s "$INPUT" ]]; then
  echo "generating $INPUT..." >&2
  java -cp "$CP" io.dmerge.examples.wordcount.WordCountInputGenerator \
    --sizeMb="$SIZE" --output="$INPUT.tmp" >&2
  mv "$INPUT.tmp" "$INPUT"
fi
INPUT_BYTES=$(stat -c %s "$INPUT")

SYSTEMS=(hand)
for s in dmerge direct; do
  if [[ ",${SYSTEMS_ARG:-dmerge,direct}," == *",$s,"* ]]; then SYSTEMS+=("$s"); fi
done
declare -A LABEL=([hand]="Hand-written Java (2 threads, no Beam)" [dmerge]="DmergeRunner (in-process)" [direct]="DirectRunner")
# The command of each system, without the output path (appended per run).
cmd() { # system outdir
  local s=$1 out=$2
  case "$s" in
    hand) echo java "${JOPTS[@]}" -cp "$CP" io.dmerge.bench.wordcount.HandWrittenWordCount \
            --input="$INPUT" --output="$out/out.txt" ;;
    dmerge) echo java "${JOPTS[@]}" -Dorg.slf4j.simpleLogger.log.io.dmerge=debug -cp "$CP_NO_DIRECT" \
            io.dmerge.examples.wordcount.WordCount --runner=DmergeRunner --input="$INPUT" \
            --output="$out/out" --numShards=0 --top=0 ;;
    direct) echo java "${JOPTS[@]}" -cp "$CP" io.dmerge.examples.wordcount.WordCount \
            --runner=DirectRunner --input="$INPUT" --output="$out/out" --top=0 ;;
  esac
}
prefix_of() { [[ $1 == hand ]] && echo "$2/out.txt" || echo "$2/out"; }

declare -A WALL CPU RSS TIMEDOUT
echo "warming the page cache..." >&2
cat "$INPUT" >/dev/null
for ((i = 1; i <= RUNS; i++)); do
  for s in "${SYSTEMS[@]}"; do
    [[ -n "${TIMEDOUT[$s]:-}" ]] && continue
    out="$WORK/$s-$i"
    rm -rf "$out"; mkdir -p "$out"
    cat "$INPUT" >/dev/null # keep it cached: the other systems' runs may have evicted pages
    # shellcheck disable=SC2046
    set -- $(cmd "$s" "$out")
    t0=$EPOCHREALTIME
    rc=0
    /usr/bin/time -f '%U %S %M' -o "$out/time" timeout --kill-after=10 "$TIMEOUT" "$@" \
      >"$out/stdout" 2>"$out/stderr" || rc=$?
    if [[ $rc == 124 || $rc == 137 ]]; then
      echo "  run $i $s: timed out after $TIMEOUT s; not run again" >&2
      TIMEDOUT[$s]=$i; continue
    elif [[ $rc != 0 ]]; then
      echo "$s run $i failed (exit $rc):" >&2; tail -30 "$out/stderr" >&2; exit 1
    fi
    t1=$EPOCHREALTIME
    WALL[$s,$i]=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
    read -r u sy rss <"$out/time"
    CPU[$s,$i]=$(awk -v u="$u" -v s="$sy" 'BEGIN{printf "%.1f", u+s}')
    RSS[$s,$i]=$((rss / 1024))
    # Verify: sorted output byte-identical to the hand-written run 1.
    java -cp "$CP" io.dmerge.examples.wordcount.SortedOutput "$(prefix_of "$s" "$out")" "$out/sorted.txt"
    if [[ ! -s "$out/sorted.txt" ]]; then echo "$s run $i: empty output" >&2; exit 1; fi
    if ! cmp "$WORK/hand-1/sorted.txt" "$out/sorted.txt" >&2; then
      echo "FAIL: $s run $i sorted output differs from the hand-written one" >&2; exit 1
    fi
    echo "  run $i $s: ${WALL[$s,$i]} s (cpu ${CPU[$s,$i]} s, max RSS ${RSS[$s,$i]} MiB), output verified" >&2
  done
done

median() { tr ' ' '\n' | sort -g | awk '{v[NR]=$1} END{if (NR%2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'; }
declare -A MED MEDRUN
[[ -n "${TIMEDOUT[hand]:-}" ]] && { echo "the hand-written baseline timed out" >&2; exit 1; }
for s in "${SYSTEMS[@]}"; do
  if [[ -n "${TIMEDOUT[$s]:-}" ]]; then MED[$s]=""; continue; fi
  vals=""; for ((i = 1; i <= RUNS; i++)); do vals+="${WALL[$s,$i]} "; done
  MED[$s]=$(echo $vals | median)
  # The run closest to the median (for CPU, RSS and the stage log).
  best=1; for ((i = 1; i <= RUNS; i++)); do
    if awk -v a="${WALL[$s,$i]}" -v b="${WALL[$s,$best]}" -v m="${MED[$s]}" 'BEGIN{exit !((a-m)^2 < (b-m)^2)}'; then best=$i; fi
  done
  MEDRUN[$s]=$best
done
DISTINCT=$(wc -l <"$WORK/hand-1/sorted.txt")

echo "### Word count, $SIZE MiB input"
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) vCPUs, $(free -g | awk '/Mem:/{print $2}') GiB RAM," \
  "kernel $(uname -r), $(java -version 2>&1 | head -1 | tr -d '"'); io.dmerge jars built $(cat "$SNAP/build-info.txt" 2>/dev/null || echo '(unknown)')."
echo "Command: \`bench/wordcount/run.sh --size=$SIZE --runs=$RUNS --timeout=$TIMEOUT${SYSTEMS_ARG:+ --systems=$SYSTEMS_ARG}$([[ $PROFILE == 1 ]] && echo ' --profile')$([[ $BUILD == 0 ]] && echo ' --skip-build')\`${JAVA_OPTS:+ with JAVA_OPTS=\"$JAVA_OPTS\"}."
echo "Load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Input: \`$INPUT\` ($INPUT_BYTES bytes, WordCountInputGenerator --sizeMb=$SIZE, default seed), page cache warm;" \
  "$DISTINCT distinct words. Each system ran $RUNS times in a fresh JVM (interleaved round-robin);" \
  "seconds are wall time around the JVM, median of the runs. CPU and max RSS are of the median run." \
  "All sorted outputs of completed runs were byte-identical (cmp)."
echo
echo "| System | Seconds (median) | Runs | vs hand-written | CPU s (user+sys) | Max RSS MiB |"
echo "|---|---:|---|---:|---:|---:|"
for s in "${SYSTEMS[@]}"; do
  if [[ -n "${TIMEDOUT[$s]:-}" ]]; then
    runs=""; for ((i = 1; i < ${TIMEDOUT[$s]}; i++)); do runs+="${WALL[$s,$i]} "; done
    echo "| ${LABEL[$s]} | > $TIMEOUT (timed out in run ${TIMEDOUT[$s]}) | ${runs}> $TIMEOUT | > $(awk -v a="$TIMEOUT" -v b="${MED[hand]}" 'BEGIN{printf "%.0fx", a/b}') | | |"
    continue
  fi
  runs=""; for ((i = 1; i <= RUNS; i++)); do runs+="${WALL[$s,$i]} "; done
  ratio=$(awk -v a="${MED[$s]}" -v b="${MED[hand]}" 'BEGIN{printf "%.2fx", a/b}')
  echo "| ${LABEL[$s]} | ${MED[$s]} | ${runs% } | $ratio | ${CPU[$s,${MEDRUN[$s]}]} | ${RSS[$s,${MEDRUN[$s]}]} |"
done
echo
if [[ -z "${MED[dmerge]+x}" || -z "${MED[direct]+x}" ]]; then
  echo "DmergeRunner / DirectRunner: not measured (--systems=${SYSTEMS_ARG:-})."
elif [[ -n "${MED[dmerge]}" && -n "${MED[direct]}" ]]; then
  echo "DmergeRunner / DirectRunner: $(awk -v a="${MED[dmerge]}" -v b="${MED[direct]}" 'BEGIN{printf "%.2f (DirectRunner takes %.1fx as long)", a/b, b/a}')."
elif [[ -n "${MED[dmerge]}" ]]; then
  echo "DmergeRunner / DirectRunner: < $(awk -v a="${MED[dmerge]}" -v b="$TIMEOUT" 'BEGIN{printf "%.2f (DirectRunner did not finish within %d s)", a/b, b}')."
fi
echo
echo "Commands (\`\$CP\` = bench/wordcount/target/classes + \`mvn dependency:build-classpath\`, with the io.dmerge jars copied to target/dmerge-jars right after the build; \`\$CP_NO_DIRECT\` = the same without the DirectRunner's jar; OUT is per run):"
echo
echo '```'
for s in "${SYSTEMS[@]}"; do cmd "$s" OUT | sed "s|$CP_NO_DIRECT|\$CP_NO_DIRECT|; s|$CP|\$CP|"; done
echo '```'
echo
hw_line=$(grep -h 'HandWrittenWordCount:' "$WORK/hand-${MEDRUN[hand]}/stderr" || true)
[[ -n "$hw_line" ]] && echo "Hand-written, median run: \`$hw_line\`" && echo
dm_line=$(grep -h 'WordCount finished' "$WORK/dmerge-${MEDRUN[dmerge]:-1}/stdout" 2>/dev/null || true)
dr_line=$(grep -h 'WordCount finished' "$WORK/direct-${MEDRUN[direct]:-1}/stdout" 2>/dev/null || true)
echo "In-JVM pipeline time (\`p.run().waitUntilFinish()\` as printed by WordCount), median runs:" \
  "DmergeRunner $(grep -o '([0-9]* ms)' <<<"$dm_line" | tr -d '()' || echo n/a), DirectRunner $(grep -o '([0-9]* ms)' <<<"$dr_line" | tr -d '()' || echo n/a)."
echo
echo "DmergeRunner stages (median run, \`-Dorg.slf4j.simpleLogger.log.io.dmerge=debug\`):"
echo
echo '```'
grep -h ' done: ' "$WORK/dmerge-${MEDRUN[dmerge]:-1}/stderr" | sed -E 's/.*(Stage [0-9]+ \[[^]]*\]).* (done: .*)/\1 ... \2/' || echo "(no stage lines found)"
echo '```'

if [[ $PROFILE == 1 ]]; then
  echo "profiling one more DmergeRunner run under JFR..." >&2
  out="$WORK/profile"; mkdir -p "$out"
  cat "$INPUT" >/dev/null
  # shellcheck disable=SC2046
  set -- $(cmd dmerge "$out")
  shift # 'java'
  java -XX:StartFlightRecording=filename="$out/dmerge.jfr",settings=profile \
    -XX:FlightRecorderOptions:stackdepth=512 "$@" >"$out/stdout" 2>"$out/stderr"
  echo
  echo "#### JFR profile of one DmergeRunner run (settings=profile, stack depth 512; not timed)"
  echo
  java -cp "$CP" io.dmerge.bench.wordcount.JfrTop "$out/dmerge.jfr" io.dmerge. 25
  cp "$out/dmerge.jfr" "/tmp/dmerge-wc-${SIZE}m-dmerge.jfr"
  echo "(recording kept at /tmp/dmerge-wc-${SIZE}m-dmerge.jfr)"
fi
