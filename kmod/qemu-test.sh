#!/bin/bash
# Build the dmerge module against Debian's linux-headers-amd64 kernel, boot
# that kernel (linux-image-amd64, same version) under QEMU (TCG, no KVM) with
# a busybox initramfs, load the module, run the C tests, unload it, and
# report.  Last line of output: "N passed, M failed"; exit status 0 iff M == 0.
#
# Environment:
#   DMERGE_GUEST_JAVA_TEST  optional command line run in the guest after the C
#                           tests, as: chroot /host /bin/sh -c "cd <cwd>; <cmd>"
#                           i.e. with the HOST's paths (host root mounted
#                           read-only over 9p; /proc /sys /dev and a tmpfs /tmp
#                           mounted inside; <cwd> = directory qemu-test.sh was
#                           started from).  Counted as test "guest_java_test".
#   DMERGE_GUEST_TIMEOUT    seconds for that command (default 150)
#   DMERGE_QEMU_TIMEOUT     seconds for the whole guest run (default 420)
#   DMERGE_QEMU_MEM         guest memory (default 2G)
#   DMERGE_BUILD_DIR        build directory (default kmod/build)
#   DMERGE_SKIP_JAVA=1      skip the guest "java -version" check and the Java round trip
#   DMERGE_SKIP_JAVA_ROUNDTRIP=1  skip only the Java round trip (KmodGuestMain)
#   DMERGE_ROUNDTRIP_TIMEOUT seconds for the Java round trip (default 150)
#
# Unless skipped, the Java binding (shuffle/, io.dmerge.shuffle.kmod) is compiled
# on the host into build/java (javac; the dependency class path comes from
# "mvn -o dependency:build-classpath", cached in build/java/deps.classpath) and
# the guest runs io.dmerge.shuffle.kmod.KmodGuestMain after the C tests: a
# register/rmap round trip between two JVMs through /dev/dmerge, one
# "PASS: java_kmod_*" line per check.
set -uo pipefail

KMOD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${DMERGE_BUILD_DIR:-$KMOD_DIR/build}
QEMU_TIMEOUT=${DMERGE_QEMU_TIMEOUT:-420}
GUEST_TIMEOUT=${DMERGE_GUEST_TIMEOUT:-150}
QEMU_MEM=${DMERGE_QEMU_MEM:-2G}
WORKDIR=$(pwd)
JAVA=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
START=$(date +%s)

log() { echo "[qemu-test +$(( $(date +%s) - START ))s] $*" >&2; }
die() { log "ERROR: $*"; echo "0 passed, 1 failed"; exit 1; }

# ---- 1. packages ------------------------------------------------------------
PKGS="linux-headers-amd64 linux-image-amd64 qemu-system-x86 busybox-static cpio gcc make libc6-dev kmod"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "installing:$missing"
	[ "$(id -u)" = 0 ] || die "need root to apt-get install:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# INITRD=No: the host never boots this kernel, skip update-initramfs (~1 min)
	export INITRD=No
	APT_OPTS="-y -qq --no-install-recommends -o Dpkg::Use-Pty=0"
	# shellcheck disable=SC2086
	if ! apt-get install $APT_OPTS $missing >"/tmp/dmerge-apt.log" 2>&1; then
		log "apt-get install failed, running apt-get update first"
		apt-get update -qq >>"/tmp/dmerge-apt.log" 2>&1 || true
		# shellcheck disable=SC2086
		apt-get install $APT_OPTS $missing >>"/tmp/dmerge-apt.log" 2>&1 ||
			{ tail -20 /tmp/dmerge-apt.log >&2; die "apt-get install failed"; }
	fi
	log "packages installed"
fi

# ---- 2. kernel version: the one linux-image-amd64 / linux-headers-amd64 name -
dep_ver() { dpkg-query -W -f='${Depends}' "$1" 2>/dev/null | sed -n "s/.*$2-\([^ ,]*\).*/\1/p"; }
KVER=$(dep_ver linux-image-amd64 linux-image)
HVER=$(dep_ver linux-headers-amd64 linux-headers)
[ -n "$KVER" ] || die "cannot determine kernel version of linux-image-amd64"
[ "$KVER" = "$HVER" ] || die "linux-image-amd64 ($KVER) and linux-headers-amd64 ($HVER) differ; install both together"
VMLINUZ=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER
[ -r "$VMLINUZ" ] || die "$VMLINUZ missing"
[ -d "/usr/src/linux-headers-$KVER" ] || die "/usr/src/linux-headers-$KVER missing"
[ -f "$MODDIR/modules.dep" ] || depmod "$KVER" || die "no modules.dep for $KVER"
log "kernel $KVER (host runs $(uname -r))"

# ---- 3. build ---------------------------------------------------------------
make -s -C "$KMOD_DIR" BUILD="$BUILD" KVER="$KVER" all 2>&1 | grep -v 'Skipping BTF generation' >&2
[ "${PIPESTATUS[0]}" = 0 ] || die "build failed"
[ "$(modinfo -F vermagic "$BUILD/dmerge.ko" | awk '{print $1}')" = "$KVER" ] || die "vermagic mismatch"
log "built module, library and tests"

# ---- 3b. Java binding round trip (compiled here, run in the guest) ----------
REPO=$(cd "$KMOD_DIR/.." && pwd)
JBUILD=$BUILD/java
RT_TIMEOUT=${DMERGE_ROUNDTRIP_TIMEOUT:-150}
RT_CMD=""
HOST_FAILS=""
build_java_roundtrip() {
	local deps=$JBUILD/deps.classpath javac
	javac=$(dirname "$JAVA")/javac
	[ -x "$javac" ] || { echo "no $javac" >&2; return 1; }
	command -v mvn >/dev/null || { echo "no mvn" >&2; return 1; }
	mkdir -p "$JBUILD"
	# Only the poms decide the dependency class path: skip Maven while they are unchanged.
	if [ ! -s "$deps" ] || [ "$REPO/pom.xml" -nt "$deps" ] || [ "$REPO/shuffle/pom.xml" -nt "$deps" ]; then
		# -f shuffle/pom.xml, not -pl: the other modules' poms are not even read.
		if ! (cd "$REPO" && mvn -o -q -B -f shuffle/pom.xml dependency:build-classpath \
			-Dmdep.outputFile="$deps.new" -Dmdep.includeScope=test) >"$JBUILD/mvn.log" 2>&1 ||
			[ ! -s "$deps.new" ]; then
			tail -20 "$JBUILD/mvn.log" >&2
			[ -s "$deps" ] || return 1
			log "mvn dependency:build-classpath failed; using the previous $deps"
		else
			mv "$deps.new" "$deps"
		fi
	fi
	# javac into build/java, not mvn into shuffle/target: leaves the module's own build alone.
	# Skipped while no source (and not the class path) changed since the last compile.
	{ find "$REPO/shuffle/src/main/java" -name '*.java'
	  find "$REPO/shuffle/src/test/java/io/dmerge/shuffle/kmod" -name '*.java'
	  echo "$REPO/shuffle/src/test/java/io/dmerge/shuffle/Records.java"; } | sort >"$JBUILD/sources.new"
	if [ ! -f "$JBUILD/classes.stamp" ] || ! cmp -s "$JBUILD/sources.new" "$JBUILD/sources" ||
		[ -n "$(find "$deps" $(cat "$JBUILD/sources.new") -newer "$JBUILD/classes.stamp" | head -1)" ]; then
		mv "$JBUILD/sources.new" "$JBUILD/sources"
		rm -rf "$JBUILD/classes" "$JBUILD/classes.stamp"
		mkdir -p "$JBUILD/classes"
		touch "$JBUILD/classes.stamp.new"
		"$javac" -nowarn -XDsuppressNotes -encoding UTF-8 --release 17 -d "$JBUILD/classes" -cp "$(cat "$deps")" \
			@"$JBUILD/sources" >"$JBUILD/javac.log" 2>&1 || { tail -30 "$JBUILD/javac.log" >&2; return 1; }
		mv "$JBUILD/classes.stamp.new" "$JBUILD/classes.stamp"
	else
		rm -f "$JBUILD/sources.new"
	fi
	# jna.platform.library.path: JNA would otherwise fork "ldconfig -p", slow without KVM.
	RT_CMD="$JAVA -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xmx512m"
	RT_CMD+=" -Djna.tmpdir=/tmp/jna -Djna.platform.library.path=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu"
	RT_CMD+=" -cp $JBUILD/classes:$(cat "$deps") io.dmerge.shuffle.kmod.KmodGuestMain /dev/dmerge"
}
if [ "${DMERGE_SKIP_JAVA:-0}" != 1 ] && [ "${DMERGE_SKIP_JAVA_ROUNDTRIP:-0}" != 1 ]; then
	if build_java_roundtrip; then
		log "compiled the Java round trip into $JBUILD"
	else
		log "could not compile the Java round trip (see $JBUILD)"
		HOST_FAILS+="FAIL: java_kmod_roundtrip_build: see $JBUILD/*.log"$'\n'
	fi
fi

# ---- 4. initramfs -----------------------------------------------------------
ROOT=$BUILD/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,proc,sys,dev,tmp,host,modules,tests,etc}
cp /bin/busybox "$ROOT/bin/busybox"
cp "$BUILD/dmerge.ko" "$ROOT/dmerge.ko"
cp "$BUILD/dmerge_test" "$ROOT/tests/dmerge_test"

# support modules + their dependencies, in load order (from modules.dep)
declare -A SEEN=()
ORDER=()
add_mod() { # $1 = path relative to $MODDIR
	local rel=$1 deps d
	[ -n "${SEEN[$rel]:-}" ] && return
	SEEN[$rel]=1
	deps=$(grep -m1 "^$rel:" "$MODDIR/modules.dep" | cut -d: -f2)
	for d in $deps; do add_mod "$d"; done
	ORDER+=("$rel")
}
for m in virtio_pci virtio_net 9pnet_virtio 9p; do
	rel=$(grep -m1 -E "/$m\.ko(\.xz|\.zst|\.gz)?:" "$MODDIR/modules.dep" | cut -d: -f1)
	[ -n "$rel" ] || die "module $m not found in $MODDIR"
	add_mod "$rel"
done
: >"$ROOT/modules/order"
for rel in "${ORDER[@]}"; do
	name=$(basename "$rel"); name=${name%%.ko*}
	case "$rel" in
	*.ko.xz) xz -dc "$MODDIR/$rel" >"$ROOT/modules/$name.ko" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$rel" >"$ROOT/modules/$name.ko" ;;
	*.ko.gz) gzip -dc "$MODDIR/$rel" >"$ROOT/modules/$name.ko" ;;
	*) cp "$MODDIR/$rel" "$ROOT/modules/$name.ko" ;;
	esac
	echo "$name" >>"$ROOT/modules/order"
done

# guest configuration
{
	printf 'WORKDIR=%q\n' "$WORKDIR"
	printf 'JAVA=%q\n' "$JAVA"
	printf 'GUEST_TIMEOUT=%q\n' "$GUEST_TIMEOUT"
	printf 'SKIP_JAVA=%q\n' "${DMERGE_SKIP_JAVA:-0}"
} >"$ROOT/etc/dmerge.conf"
if [ -n "$RT_CMD" ]; then
	printf 'RT_TIMEOUT=%q\n' "$RT_TIMEOUT" >>"$ROOT/etc/dmerge.conf"
	printf '%s\n' "$RT_CMD" >"$ROOT/etc/java-roundtrip.cmd"
fi
if [ -n "${DMERGE_GUEST_JAVA_TEST:-}" ]; then
	printf '%s\n' "$DMERGE_GUEST_JAVA_TEST" >"$ROOT/etc/guest-java-test.cmd"
	log "guest extra command: $DMERGE_GUEST_JAVA_TEST"
fi

cat >"$ROOT/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
. /etc/dmerge.conf
echo 4 >/proc/sys/kernel/printk
res() { echo "$1: $2${3:+: $3}"; }
echo "DMERGE-GUEST-START kernel $(uname -r)"

for m in $(cat /modules/order); do
	insmod /modules/$m.ko 2>/dev/null || echo "note: insmod $m failed"
done

if insmod /dmerge.ko && [ -c /dev/dmerge ]; then
	res PASS insmod_dmerge
	timeout -s KILL 240 /tests/dmerge_test
	rc=$?
	[ $rc = 0 ] && res PASS dmerge_test_exit || res FAIL dmerge_test_exit "exit $rc"
else
	res FAIL insmod_dmerge
fi

# host root over 9p (read-only), chroot environment for Java
HOST_OK=0
if mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host &&
	[ -d /host/usr ]; then
	res PASS 9p_mount_hostroot
	HOST_OK=1
	mount -t proc proc /host/proc
	mount -t sysfs sysfs /host/sys
	mount -t devtmpfs devtmpfs /host/dev
	case "$WORKDIR" in
	/tmp|/tmp/*) # keep the work tree visible under the tmpfs /tmp
		mkdir -p /mnt/work && mount -o bind "/host$WORKDIR" /mnt/work
		mount -t tmpfs tmpfs /host/tmp
		mkdir -p "/host$WORKDIR" && mount -o bind /mnt/work "/host$WORKDIR" ;;
	*) mount -t tmpfs tmpfs /host/tmp ;;
	esac
	mkdir -p /host/tmp/home
else
	res FAIL 9p_mount_hostroot
fi

run_chroot() { # $1 timeout, rest: shell command
	t=$1; shift
	DMERGE_CMD="$*" DMERGE_WORKDIR="$WORKDIR" HOME=/tmp/home TMPDIR=/tmp \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 \
		timeout -s KILL "$t" chroot /host /bin/sh -c 'cd "$DMERGE_WORKDIR" 2>/dev/null || cd /; eval "$DMERGE_CMD"'
}

if [ $HOST_OK = 1 ] && [ "$SKIP_JAVA" != 1 ]; then
	if [ -x "/host$JAVA" ]; then
		out=$(run_chroot 120 "$JAVA -Xshare:auto -XX:TieredStopAtLevel=1 -version" 2>&1)
		rc=$?
		echo "$out" | sed 's/^/  /'
		if [ $rc = 0 ] && echo "$out" | grep -q 'version "17'; then
			res PASS java_version_in_guest
		else
			res FAIL java_version_in_guest "exit $rc"
		fi
	else
		res FAIL java_version_in_guest "$JAVA not found on host"
	fi
fi

if [ -f /etc/java-roundtrip.cmd ]; then
	if [ $HOST_OK = 1 ] && [ -c /dev/dmerge ]; then
		echo "java_kmod_roundtrip: running (timeout ${RT_TIMEOUT}s)"
		run_chroot "$RT_TIMEOUT" "$(cat /etc/java-roundtrip.cmd)"
		rc=$?
		[ $rc = 0 ] && res PASS java_kmod_roundtrip_exit || res FAIL java_kmod_roundtrip_exit "exit $rc"
	else
		res FAIL java_kmod_roundtrip_exit "no host root or no /dev/dmerge"
	fi
fi

if [ -f /etc/guest-java-test.cmd ]; then
	if [ $HOST_OK = 1 ]; then
		echo "guest_java_test: running (timeout ${GUEST_TIMEOUT}s): $(cat /etc/guest-java-test.cmd)"
		run_chroot "$GUEST_TIMEOUT" "$(cat /etc/guest-java-test.cmd)"
		rc=$?
		[ $rc = 0 ] && res PASS guest_java_test || res FAIL guest_java_test "exit $rc"
	else
		res FAIL guest_java_test "no host root"
	fi
fi

if [ $HOST_OK = 1 ]; then
	umount /host/tmp /host/dev /host/sys /host/proc 2>/dev/null
fi

if grep -q '^dmerge ' /proc/modules; then
	if rmmod dmerge; then res PASS rmmod_dmerge; else res FAIL rmmod_dmerge; fi
fi
if dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|dmerge:.*(leak|error)' >/tmp/klog; then
	res FAIL kernel_log_clean
	sed 's/^/  klog: /' /tmp/klog | head -40
else
	res PASS kernel_log_clean
fi
echo "DMERGE-GUEST-DONE"
sync
poweroff -f
INIT
chmod +x "$ROOT/init"
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$BUILD/initramfs.cpio.gz" ||
	die "initramfs creation failed"
log "initramfs: $(du -h "$BUILD/initramfs.cpio.gz" | cut -f1), modules: $(tr '\n' ' ' <"$ROOT/modules/order")"

# ---- 5. boot ----------------------------------------------------------------
GUEST_LOG=$BUILD/guest.log
log "booting $VMLINUZ under qemu (TCG, timeout ${QEMU_TIMEOUT}s)"
timeout -k 10 "$QEMU_TIMEOUT" qemu-system-x86_64 \
	-nographic -no-reboot -m "$QEMU_MEM" -smp 2 \
	-kernel "$VMLINUZ" -initrd "$BUILD/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/init" \
	-netdev user,id=n0,restrict=on \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:d3:e5:01,romfile= \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	</dev/null 2>&1 | tr -d '\r' | sed -u 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' | tee "$GUEST_LOG"
QEMU_RC=${PIPESTATUS[0]}
log "qemu exited with $QEMU_RC"

# ---- 6. results -------------------------------------------------------------
passed=$(grep -cE '^PASS: ' "$GUEST_LOG")
failed=$(grep -cE '^FAIL: ' "$GUEST_LOG")
extra="$HOST_FAILS"
[ -z "$HOST_FAILS" ] || failed=$((failed + $(printf '%s' "$HOST_FAILS" | grep -c '^FAIL: ')))
if ! grep -q '^DMERGE-GUEST-DONE' "$GUEST_LOG"; then
	if [ "$QEMU_RC" = 124 ]; then why="timeout after ${QEMU_TIMEOUT}s"; else why="qemu exit $QEMU_RC"; fi
	extra+="FAIL: guest_completed: $why"$'\n'
	failed=$((failed + 1))
fi
if [ "$passed" = 0 ]; then
	extra+="FAIL: no_test_passed"$'\n'
	failed=$((failed + 1))
fi
echo
echo "== summary (kernel $KVER, $(( $(date +%s) - START ))s, log: $GUEST_LOG) =="
grep -E '^(PASS|FAIL): ' "$GUEST_LOG"
printf '%s' "$extra"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
