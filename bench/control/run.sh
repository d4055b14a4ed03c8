#!/usr/bin/env bash
# Control plane benchmark: the driver–worker control channel of the process executor, this tree
# against a "before" revision (default HEAD), measured side by side in one run. Prints a markdown
# report on stdout, progress on stderr.
#
#   1. Message sizes of each control message, before (Java-serialized TaskSpec / TaskResult /
#      ShmConfig) and after (Kryo envelopes, stage template cached per worker).
#   2. JMH (ControlMessageBench): driver encode + worker decode per message, up to a TaskSpec with
#      its own freshly deserialized DoFns on the worker side.
#   3. End to end: ChainPipeline (a source split into --shards tasks, each a 5-step ParDo chain with
#      a side input, into a global sum) on the process executor with parallelism 2; each round
#      starts one driver JVM per side (before, after, interleaved), which runs the job once to
#      warm up and then --runs timed times; the median per JVM is reported.
#
#   bench/control/run.sh                   # before = HEAD, 5 rounds x 5 timed jobs, 200 tasks
#   bench/control/run.sh --before=33bcf55 --rounds=9 --shards=400
#
# Options: --before=REF, --rounds=N (5), --runs=N (5), --shards=N (200), --perShard=N (10),
#   --skip-jmh, --skip-e2e. Environment: MVN_FLAGS (default -o; the first run needs JMH 1.37 in
#   the local Maven repository: run once with MVN_FLAGS= to fetch it).
# Builds the runner and shuffle jars of this tree and of REF (in a temporary git worktree) with
# `package`, never `install`, so ~/.m2 is left alone.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BEFORE=HEAD
ROUNDS=5
RUNS=5
SHARDS=200
PER_SHARD=10
JMH=1
E2E=1
for a in "$@"; do
  case "$a" in
    --before=*) BEFORE="${a#--before=}" ;;
    --rounds=*) ROUNDS="${a#--rounds=}" ;;
    --runs=*) RUNS="${a#--runs=}" ;;
    --shards=*) SHARDS="${a#--shards=}" ;;
    --perShard=*) PER_SHARD="${a#--perShard=}" ;;
    --skip-jmh) JMH=0 ;;
    --skip-e2e) E2E=0 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done
MVN_FLAGS="${MVN_FLAGS:--o}"
WORK="$(mktemp -d /tmp/dmerge-bench-control.XXXXXX)"
cleanup() {
  git -C "$ROOT" worktree remove --force "$WORK/before-tree" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

jars() { # $1: source tree, $2: destination directory
  (cd "$1" && mvn $MVN_FLAGS -q -pl runner -am package -DskipTests) >&2
  mkdir -p "$2"
  cp "$1"/runner/target/dmerge-runner-*.jar "$2/runner.jar"
  cp "$1"/shuffle/target/dmerge-shuffle-*.jar "$2/shuffle.jar"
}

echo "building this tree..." >&2
jars "$ROOT" "$WORK/after"
echo "building $BEFORE..." >&2
git -C "$ROOT" worktree add --detach -q "$WORK/before-tree" "$BEFORE"
BEFORE_SHA="$(git -C "$WORK/before-tree" rev-parse --short HEAD)"
jars "$WORK/before-tree" "$WORK/before"
echo "building the benchmark..." >&2
mvn $MVN_FLAGS -q -f "$HERE/pom.xml" package dependency:build-classpath \
  -Ddmerge.runner.jar="$WORK/after/runner.jar" -Ddmerge.shuffle.jar="$WORK/after/shuffle.jar" \
  -Dmdep.outputFile="$WORK/classpath.txt" >&2
# Everything but the runner and shuffle jars, which each side brings.
DEPS="$HERE/target/classes:$(tr ':' '\n' <"$WORK/classpath.txt" | grep -v "$WORK/" | paste -sd:)"
AFTER_CP="$DEPS:$WORK/after/runner.jar:$WORK/after/shuffle.jar"

echo "## Control plane: Java-serialized task specs vs cached stage templates and Kryo envelopes"
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) vCPUs, $(java -version 2>&1 | head -1 | tr -d '"');" \
  "before = $BEFORE ($BEFORE_SHA), after = this tree. Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "### Bytes on the wire per message"
echo
java -cp "$AFTER_CP" io.dmerge.runner.execute.process.MessageSizes 2>/dev/null
echo

if [[ $JMH == 1 ]]; then
  echo "running JMH..." >&2
  java -cp "$AFTER_CP" org.openjdk.jmh.Main ControlMessageBench -rf csv -rff "$WORK/jmh.csv" >"$WORK/jmh.log" 2>&1 \
    || { tail -30 "$WORK/jmh.log" >&2; exit 1; }
  # name stage score error
  awk -F, 'NR > 1 { gsub(/["\r]/, ""); n = $1; sub(/.*\./, "", n); printf "%s %s %.2f %.2f\n", n, $8, $5, $6 }' \
    "$WORK/jmh.csv" >"$WORK/jmh.txt"
  score() { awk -v n="$1" -v s="$2" '$1 == n && $2 == s { print $3 }' "$WORK/jmh.txt"; }
  cell() { awk -v n="$1" -v s="$2" '$1 == n && $2 == s { printf "%.1f ± %.1f", $3, $4 }' "$WORK/jmh.txt"; }
  echo "### Encode + decode per message, µs (JMH, average of 6 × 1 s after 4 × 1 s warm-up, ± 99.9% CI)"
  echo
  echo "A task's decode ends with a TaskSpec whose DoFns the worker has just deserialized for it."
  echo
  echo "| task of stage | before: full TaskSpec, Java | after: Kryo envelope, cached template | after / before | cache without Kryo (Java envelope) | after, first task of the stage on a worker | template deserialization alone |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for s in chain merge; do
    echo "| $s | $(cell taskJavaFullSpec $s) | $(cell taskKryoCachedTemplate $s) | $(ratio "$(score taskKryoCachedTemplate $s)" "$(score taskJavaFullSpec $s)") | $(cell taskJavaCachedTemplate $s) | $(cell taskKryoFirstOfStage $s) | $(cell taskTemplateOnly $s) |"
  done
  echo
  echo "| message | before: Java | after: channel frame | after / before | alternative, not adopted | alternative / before |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  echo "| task result of a chain task (1 region; metrics: a container per step, 1 counter), after: Java-serialized whole; alternative: region refs with Kryo, metrics as Java bytes | $(cell resultJava chain) | $(cell resultChannel chain) | $(ratio "$(score resultChannel chain)" "$(score resultJava chain)") | $(cell resultKryoRegions chain) | $(ratio "$(score resultKryoRegions chain)" "$(score resultJava chain)") |"
  echo "| attach (ShmConfig), after: Kryo | $(cell attachJava chain) | $(cell attachKryo chain) | $(ratio "$(score attachKryo chain)" "$(score attachJava chain)") | | |"
  echo
fi

if [[ $E2E == 1 ]]; then
  echo "### End to end: $SHARDS tasks of a 5-step ParDo chain with a side input, process executor, parallelism 2"
  echo
  echo "Wall time of one job in a warm driver (worker JVMs pooled); median of $RUNS timed jobs per driver JVM, one JVM per side per round, sides interleaved."
  echo
  echo "| round | before, ms | after, ms | after / before |"
  echo "| --- | ---: | ---: | ---: |"
  for r in $(seq "$ROUNDS"); do
    for side in before after; do
      echo "round $r: $side..." >&2
      java -Xmx1g -cp "$DEPS:$WORK/$side/runner.jar:$WORK/$side/shuffle.jar" \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.dmerge.bench.control.ManyTasks \
        --runner=DmergeRunner --executor=process --parallelism=2 \
        --shards="$SHARDS" --perShard="$PER_SHARD" --runs="$RUNS" >"$WORK/e2e-$side-$r.log" 2>>"$WORK/e2e.err" \
        || { tail -30 "$WORK/e2e.err" >&2; exit 1; }
      sed -n 's/^median_ms=//p' "$WORK/e2e-$side-$r.log" >>"$WORK/e2e-$side.txt"
    done
    b="$(sed -n "${r}p" "$WORK/e2e-before.txt")"
    a="$(sed -n "${r}p" "$WORK/e2e-after.txt")"
    echo "| $r | $b | $a | $(ratio "$a" "$b") |"
  done
  mb="$(sort -n "$WORK/e2e-before.txt" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
  ma="$(sort -n "$WORK/e2e-after.txt" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
  echo "| median | $mb | $ma | $(ratio "$ma" "$mb") |"
  echo
fi
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
