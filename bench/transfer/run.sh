#!/usr/bin/env bash
# Transfer benchmark: rmap vs loopback TCP vs Redis vs memcpy, plus shuffle throughput.
# Installs redis-server if missing, builds the shuffle module and this project, starts a private
# redis-server on a free loopback port, runs the benchmark and prints markdown tables.
#
# The benchmark runs twice when it can: with the Dmerge memory root on /dev/shm (4 KiB pages, the
# default) and, when run as root, on a temporary tmpfs mounted with huge=always (2 MiB pages),
# which it unmounts at the end. SKIP_HUGE=1 skips the second run.
#
# Options: SIZES_MIB (default 1,64,1024), VALUE_BYTES (shuffle record sizes: 80,1000,16000-byte
# values beside 12-byte keys), SHUFFLE_MIB (payload per record size: 15/16 of the largest of
# SIZES_MIB), PARTITIONS (64), MVN_FLAGS (-o),
# NO_INSTALL=1 (build the working tree's shuffle module and this project in a private temporary
# directory instead of installing into ~/.m2, e.g. while others run tests against ~/.m2).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SIZES_MIB="${SIZES_MIB:-1,64,1024}"
VALUE_BYTES="${VALUE_BYTES:-80,1000,16000}"
PARTITIONS="${PARTITIONS:-64}"
MVN_FLAGS="${MVN_FLAGS:--o}"
WORK="$(mktemp -d /tmp/dmerge-bench-run.XXXXXX)"
REDIS_PID=""
HUGE_MNT=""

cleanup() {
  if [[ -n "$REDIS_PID" ]]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
  if [[ -n "$HUGE_MNT" ]]; then umount "$HUGE_MNT" 2>/dev/null || true; rmdir "$HUGE_MNT" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

SUDO=""
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then SUDO=sudo; fi
if ! command -v redis-server >/dev/null; then
  echo "installing redis-server..." >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >&2
fi

echo "building..." >&2
if [[ "${NO_INSTALL:-0}" == 1 ]]; then
  B="$WORK/build"
  mkdir -p "$B/shuffle" "$B/bench-classes"
  cp "$ROOT/pom.xml" "$B/pom.xml"
  cp "$ROOT/shuffle/pom.xml" "$B/shuffle/pom.xml"
  mkdir -p "$B/shuffle/src" && cp -r "$ROOT/shuffle/src/main" "$B/shuffle/src/main"
  mvn $MVN_FLAGS -q -f "$B/shuffle/pom.xml" compile dependency:build-classpath \
    -Dmdep.outputFile="$B/shuffle-deps.txt" -Dmdep.includeScope=runtime >&2
  DEPS="$B/shuffle/target/classes:$(cat "$B/shuffle-deps.txt")"
  javac -nowarn -d "$B/bench-classes" -cp "$DEPS" "$HERE"/src/main/java/io/dmerge/bench/*.java >&2
  CP="$B/bench-classes:$DEPS"
else
  mvn $MVN_FLAGS -q -f "$ROOT/pom.xml" -N install >&2
  mvn $MVN_FLAGS -q -f "$ROOT/pom.xml" -pl shuffle install -DskipTests >&2
  mvn $MVN_FLAGS -q -f "$HERE/pom.xml" package dependency:build-classpath \
    -Dmdep.outputFile="$HERE/target/classpath.txt" >&2
  CP="$HERE/target/classes:$(cat "$HERE/target/classpath.txt")"
fi

PORT=""
for p in $(shuf -i 20000-60000 -n 50); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[[ -n "$PORT" ]] || { echo "no free port found" >&2; exit 1; }
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
  --daemonize no --loglevel warning --proto-max-bulk-len 1gb --client-query-buffer-limit 1gb \
  >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 100); do
  if [[ "$(redis-cli -p "$PORT" ping 2>/dev/null)" == PONG ]]; then break; fi
  sleep 0.1
done
[[ "$(redis-cli -p "$PORT" ping 2>/dev/null)" == PONG ]] || { cat "$WORK/redis.log" >&2; exit 1; }

MAX_MIB=$(tr , '\n' <<<"$SIZES_MIB" | sort -n | tail -1)
JAVA_OPTS=(-Xmx1g "-XX:MaxDirectMemorySize=$((2 * MAX_MIB + 512))m")
bench() {
  echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  java "${JAVA_OPTS[@]}" -cp "$CP" io.dmerge.bench.Bench --sizes="$SIZES_MIB" --value-bytes="$VALUE_BYTES" \
    ${SHUFFLE_MIB:+--shuffle-mib="$SHUFFLE_MIB"} \
    --partitions="$PARTITIONS" --redis-port="$PORT" --shm="$1" --out="$2" >/dev/null
  cat "$2"
  echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
}

echo "## Transfer: rmap vs TCP vs Redis vs memcpy"
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) vCPUs, $(free -g | awk '/Mem:/{print $2}') GiB RAM," \
  "kernel $(uname -r), $(java -version 2>&1 | head -1 | tr -d '"'), $(redis-server --version | awk '{print $1, $2, $3}')."
echo
echo "### Memory root on /dev/shm (tmpfs, 4 KiB pages)"
echo
bench /dev/shm "$WORK/dev-shm.md"

if [[ "${SKIP_HUGE:-0}" != 1 && $(id -u) -eq 0 ]]; then
  HUGE_MNT="$(mktemp -d /tmp/dmerge-hugetmpfs.XXXXXX)"
  # Room for the cold region, a fresh region, the recycled file of the steady rows, and slack.
  if mount -t tmpfs -o huge=always,size=$((3 * MAX_MIB + 1024))m tmpfs "$HUGE_MNT" 2>/dev/null; then
    echo "### Memory root on a tmpfs mounted with huge=always (2 MiB pages)"
    echo
    bench "$HUGE_MNT" "$WORK/huge.md"
  else
    rmdir "$HUGE_MNT"; HUGE_MNT=""
    echo "(could not mount a huge=always tmpfs: skipped the 2 MiB-page run)"
  fi
fi
