/* SPDX-License-Identifier: MIT */
/*
 * dmerge functional tests.  Run as root with the module loaded.
 * Every test runs in its own forked process with a timeout; after each test
 * the harness checks that the node-wide stats are back to zero (no leak).
 * Prints "PASS: <name>" / "FAIL: <name>: <why>" lines and a final
 * "N passed, M failed" line; exit status 0 iff all passed.
 */
#define _GNU_SOURCE
#include "../lib/dmerge.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL

/* ABI layout (documented in README.md) */
_Static_assert(sizeof(struct dmerge_mac) == 28, "dmerge_mac");
_Static_assert(sizeof(struct dmerge_register) == 72, "dmerge_register");
_Static_assert(sizeof(struct dmerge_rmap) == 96, "dmerge_rmap");
_Static_assert(sizeof(struct dmerge_release) == 32, "dmerge_release");
_Static_assert(sizeof(struct dmerge_stats) == 96, "dmerge_stats");
#define TEST_TIMEOUT 60

static char fail_msg[512];

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			snprintf(fail_msg, sizeof(fail_msg), __VA_ARGS__);   \
			fprintf(stderr, "  check failed at %s:%d: %s\n",     \
				__FILE__, __LINE__, fail_msg);               \
			return 1;                                            \
		}                                                            \
	} while (0)

/* ---- helpers ------------------------------------------------------------- */

static uint64_t next_id(void)
{
	static uint64_t ctr;
	return ((uint64_t)getpid() << 32) | (++ctr * 16 + 1);
}

static void make_key(uint64_t id, uint8_t key[DMERGE_KEY_LEN])
{
	for (int i = 0; i < DMERGE_KEY_LEN; i++)
		key[i] = (uint8_t)(id * 31 + i * 97 + 0x5a);
}

static inline uint64_t pattern(uint64_t id, size_t i)
{
	return (id ^ 0xD3E5A1C7ULL) + i * 0x9E3779B97F4A7C15ULL;
}

static void fill(void *buf, size_t len, uint64_t id)
{
	uint64_t *w = buf;
	for (size_t i = 0; i < len / 8; i++)
		w[i] = pattern(id, i);
}

/* returns index of first mismatching word, or -1 */
static long verify(const void *buf, size_t len, uint64_t id)
{
	const uint64_t *w = buf;
	for (size_t i = 0; i < len / 8; i++)
		if (w[i] != pattern(id, i))
			return (long)i;
	return -1;
}

static uint64_t pfn_of(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, ((uintptr_t)addr / PAGE) * 8) != 8)
		e = 0;
	close(fd);
	if (!(e >> 63))
		return 0; /* not present */
	return e & ((1ULL << 55) - 1);
}

static int get_stats(struct dmerge_stats *s)
{
	int fd = sopen();
	if (fd < 0)
		return -1;
	int r = dmerge_stats(fd, s);
	close(fd);
	return r;
}

static int write_full(int fd, const void *b, size_t n)
{
	const char *p = b;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_full(int fd, void *b, size_t n)
{
	char *p = b;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* ---- producer process ---------------------------------------------------- */

struct producer {
	pid_t pid;
	int cmd;    /* parent -> producer */
	int rsp;    /* producer -> parent */
	uint64_t id;
	uint8_t key[DMERGE_KEY_LEN];
	size_t npages;
	uint64_t handle;
	uint64_t pfn[8]; /* PFNs of the first pages in the producer */
};

enum { P_READONLY = 1 };

static void producer_main(int cmd, int rsp, uint64_t id, size_t npages, int flags)
{
	int32_t err = 0;
	size_t len = npages * PAGE;
	struct vm_meta meta = {0};
	uint8_t key[DMERGE_KEY_LEN];
	uint64_t pfn[8] = {0};
	int fd = sopen();
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	make_key(id, key);
	if (fd < 0 || buf == MAP_FAILED) {
		err = errno;
		goto send;
	}
	fill(buf, len, id);
	if ((flags & P_READONLY) && mprotect(buf, len, PROT_READ)) {
		err = errno;
		goto send;
	}
	if (register_mem(fd, id, key, buf, buf + len, &meta))
		err = errno;
	for (int i = 0; i < 8 && (size_t)i < npages; i++)
		pfn[i] = pfn_of(buf + i * PAGE);
send:
	if (write_full(rsp, &err, sizeof(err)) || write_full(rsp, &meta, sizeof(meta)) ||
	    write_full(rsp, pfn, sizeof(pfn)))
		_exit(3);
	for (;;) {
		char c;
		int32_t r = 0;
		if (read_full(cmd, &c, 1))
			_exit(0);
		switch (c) {
		case 'c': /* check own data unchanged */
			r = verify(buf, len, id) == -1 ? 0 : 1;
			break;
		case 'r': /* explicit release */
			r = release(fd, id, key) ? errno : 0;
			break;
		case 'k': /* close descriptor (auto release) */
			r = close(fd) ? errno : 0;
			fd = -1;
			break;
		case 'x':
			_exit(0);
		}
		if (write_full(rsp, &r, sizeof(r)))
			_exit(3);
	}
}

/* returns 0 and fills p, or errno of the producer's registration */
static int start_producer(struct producer *p, size_t npages, int flags)
{
	int c[2], r[2];
	int32_t err;
	struct vm_meta meta;

	memset(p, 0, sizeof(*p));
	p->id = next_id();
	make_key(p->id, p->key);
	p->npages = npages;
	if (pipe(c) || pipe(r))
		return errno;
	p->pid = fork();
	if (p->pid < 0)
		return errno;
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(c[1]);
		close(r[0]);
		producer_main(c[0], r[1], p->id, npages, flags);
		_exit(0);
	}
	close(c[0]);
	close(r[1]);
	p->cmd = c[1];
	p->rsp = r[0];
	if (read_full(p->rsp, &err, sizeof(err)) || read_full(p->rsp, &meta, sizeof(meta)) ||
	    read_full(p->rsp, p->pfn, sizeof(p->pfn)))
		return EPIPE;
	p->handle = meta.handle;
	if (!err && (meta.size != npages * PAGE || meta.nr_pages != npages || !meta.handle))
		return EBADMSG;
	return err;
}

static int producer_cmd(struct producer *p, char c)
{
	int32_t r;
	if (write_full(p->cmd, &c, 1) || read_full(p->rsp, &r, sizeof(r)))
		return -1;
	return r;
}

static int stop_producer(struct producer *p)
{
	int st = 0;
	char c = 'x';
	if (p->pid <= 0)
		return 0;
	(void)!write(p->cmd, &c, 1);
	close(p->cmd);
	close(p->rsp);
	waitpid(p->pid, &st, 0);
	p->pid = 0;
	return st;
}

/* ---- tests --------------------------------------------------------------- */

static int t_query_mac(void)
{
	int fd = sopen();
	struct dmerge_mac m;
	uint8_t mac[6];
	CHECK(fd >= 0, "open %s: %s", DMERGE_DEVICE_PATH, strerror(errno));
	memset(&m, 0, sizeof(m));
	int r = ioctl(fd, DMERGE_IOC_QUERY_MAC, &m);
	if (r < 0) {
		CHECK(errno == ENODEV, "QUERY_MAC: %s", strerror(errno));
		printf("  (no non-loopback interface: ENODEV)\n");
		return 0;
	}
	CHECK(query_mac(fd, mac) == 0 && !memcmp(mac, m.mac, 6), "query_mac lib");
	char path[128], want[32], got[32] = {0};
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", m.ifname);
	snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	FILE *f = fopen(path, "r");
	if (f) {
		CHECK(fgets(got, sizeof(got), f) != NULL, "read %s", path);
		fclose(f);
		got[strcspn(got, "\n")] = 0;
		CHECK(!strcmp(got, want), "mac %s != sysfs %s", want, got);
	}
	printf("  node mac %s (%s)\n", want, m.ifname);
	close(fd);
	return 0;
}

static int t_zero_copy(void)
{
	struct producer p;
	struct rmap_result res;
	int e = start_producer(&p, 64, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	int fd = sopen();
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, NULL, &res) == 0, "rmap: %s", strerror(errno));
	CHECK(res.len == 64 * PAGE && res.size == 64 * PAGE && res.nr_pages == 64, "sizes");
	CHECK(res.handle == p.handle, "handle %" PRIu64 " != %" PRIu64, res.handle, p.handle);
	long bad = verify(res.addr, res.len, p.id);
	CHECK(bad == -1, "data differs at word %ld", bad);
	for (int i = 0; i < 8; i++) {
		uint64_t c = pfn_of((char *)res.addr + i * PAGE);
		CHECK(c && c == p.pfn[i], "page %d: consumer pfn %#" PRIx64 " != producer %#" PRIx64,
		      i, c, p.pfn[i]);
	}
	struct dmerge_stats s;
	CHECK(get_stats(&s) == 0 && s.regions == 1 && s.active_maps == 1 &&
	      s.pages_pinned == 64 && s.bytes_pinned == 64 * PAGE, "stats while mapped");
	CHECK(runmap(&res) == 0, "munmap");
	close(fd);
	CHECK(producer_cmd(&p, 'c') == 0, "producer data changed");
	stop_producer(&p);
	return 0;
}

static int t_cow(void)
{
	struct producer p;
	struct rmap_result res;
	int e = start_producer(&p, 16, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	int fd = sopen();
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, NULL, &res) == 0, "rmap: %s", strerror(errno));
	char *a = res.addr;
	/* write-first fault on page 3, read-then-write on page 0 */
	memset(a + 3 * PAGE, 0xAB, PAGE);
	CHECK(verify(a, PAGE, p.id) == -1, "page 0 before write");
	a[10] = (char)~a[10];
	CHECK((unsigned char)a[3 * PAGE + 100] == 0xAB, "own write not visible");
	CHECK(pfn_of(a + 3 * PAGE) != p.pfn[3], "written page still shares producer pfn");
	CHECK(pfn_of(a + PAGE) == p.pfn[1], "untouched page not shared");
	CHECK(producer_cmd(&p, 'c') == 0, "producer data changed by consumer write");
	/* a second consumer sees the original data */
	pid_t c = fork();
	if (c == 0) {
		struct rmap_result r2;
		int fd2 = sopen();
		if (rmap(fd2, NULL, p.id, p.key, NULL, NULL, &r2))
			_exit(2);
		_exit(verify(r2.addr, r2.len, p.id) == -1 ? 0 : 1);
	}
	int st;
	waitpid(c, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "second consumer saw modified data (st %#x)", st);
	/* mprotect read-only and back is allowed on a private mapping */
	CHECK(mprotect(a, res.len, PROT_READ) == 0, "mprotect ro");
	CHECK(mprotect(a, res.len, PROT_READ | PROT_WRITE) == 0, "mprotect rw");
	a[5 * PAGE] = 1;
	CHECK(producer_cmd(&p, 'c') == 0, "producer data changed (2)");
	runmap(&res);
	close(fd);
	stop_producer(&p);
	return 0;
}

static sigjmp_buf segv_jmp;
static void on_segv(int sig) { (void)sig; siglongjmp(segv_jmp, 1); }

static int t_readonly(void)
{
	struct producer p;
	struct rmap_result res;
	int e = start_producer(&p, 8, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	int fd = sopen();
	CHECK(rmap_flags(fd, NULL, p.id, p.key, NULL, NULL, DMERGE_RMAP_READONLY, &res) == 0,
	      "rmap ro: %s", strerror(errno));
	CHECK(verify(res.addr, res.len, p.id) == -1, "data");
	CHECK(mprotect(res.addr, res.len, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
	      "mprotect(PROT_WRITE) on read-only mapping should fail with EACCES");
	signal(SIGSEGV, on_segv);
	volatile int faulted = 0;
	if (sigsetjmp(segv_jmp, 1) == 0)
		((volatile char *)res.addr)[0] = 1;
	else
		faulted = 1;
	signal(SIGSEGV, SIG_DFL);
	CHECK(faulted, "write to read-only mapping did not fault");
	CHECK(producer_cmd(&p, 'c') == 0, "producer data changed");
	runmap(&res);
	close(fd);
	stop_producer(&p);
	return 0;
}

static int t_errors(void)
{
	struct producer p;
	struct rmap_result res;
	struct dmerge_stats s0, s1;
	uint8_t badkey[DMERGE_KEY_LEN], mac[6], other[6];
	int e = start_producer(&p, 4, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	int fd = sopen();
	CHECK(get_stats(&s0) == 0, "stats");

	memcpy(badkey, p.key, sizeof(badkey));
	badkey[15] ^= 1;
	errno = 0;
	CHECK(rmap(fd, NULL, p.id, badkey, NULL, NULL, &res) == -1 && errno == EACCES,
	      "wrong key: want EACCES, got %s", strerror(errno));
	errno = 0;
	CHECK(rmap(fd, NULL, p.id + 2, p.key, NULL, NULL, &res) == -1 && errno == ENOENT,
	      "unknown id: want ENOENT, got %s", strerror(errno));

	/* mac: own mac works, another node's mac -> EREMOTE */
	memset(other, 0, 6);
	other[0] = 0x02; other[5] = 0x01;
	if (query_mac(fd, mac) == 0) {
		CHECK(rmap(fd, mac, p.id, p.key, NULL, NULL, &res) == 0, "rmap own mac: %s",
		      strerror(errno));
		CHECK(verify(res.addr, res.len, p.id) == -1, "data via own mac");
		runmap(&res);
		if (!memcmp(other, mac, 6))
			other[5] = 0x02;
	}
	errno = 0;
	CHECK(rmap(fd, other, p.id, p.key, NULL, NULL, &res) == -1 && errno == EREMOTE,
	      "remote mac: want EREMOTE, got %s", strerror(errno));

	/* duplicate id */
	char *buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 1, 2 * PAGE);
	errno = 0;
	CHECK(register_mem(fd, p.id, p.key, buf, buf + PAGE, NULL) == -1 && errno == EEXIST,
	      "duplicate id: want EEXIST, got %s", strerror(errno));
	/* bad ranges */
	errno = 0;
	CHECK(register_mem(fd, next_id(), p.key, buf + 1, buf + PAGE, NULL) == -1 && errno == EINVAL,
	      "unaligned: want EINVAL, got %s", strerror(errno));
	errno = 0;
	CHECK(register_mem(fd, next_id(), p.key, buf + PAGE, buf, NULL) == -1 && errno == EINVAL,
	      "end<start: want EINVAL, got %s", strerror(errno));
	errno = 0;
	CHECK(register_mem(fd, next_id(), p.key, NULL, (void *)PAGE, NULL) == -1 && errno == EINVAL,
	      "null start: want EINVAL, got %s", strerror(errno));
	/* unmapped memory */
	munmap(buf + PAGE, PAGE);
	errno = 0;
	CHECK(register_mem(fd, next_id(), p.key, buf, buf + 2 * PAGE, NULL) == -1 && errno == EFAULT,
	      "unmapped: want EFAULT, got %s", strerror(errno));
	/* rmap larger than the region */
	errno = 0;
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, (void *)(8 * PAGE), &res) == -1 && errno == EINVAL,
	      "rmap len > size: want EINVAL, got %s", strerror(errno));
	/* release: not the owner / wrong key / unknown */
	errno = 0;
	CHECK(release(fd, p.id, p.key) == -1 && errno == EPERM,
	      "release by non-owner: want EPERM, got %s", strerror(errno));
	errno = 0;
	CHECK(release(fd, p.id, badkey) == -1 && errno == EACCES,
	      "release wrong key: want EACCES, got %s", strerror(errno));
	errno = 0;
	CHECK(release(fd, p.id + 2, p.key) == -1 && errno == ENOENT,
	      "release unknown: want ENOENT, got %s", strerror(errno));
	CHECK(ioctl(fd, _IO(DMERGE_IOC_MAGIC, 0x7f)) == -1 && errno == ENOTTY, "bad ioctl");

	CHECK(get_stats(&s1) == 0, "stats");
	CHECK(s1.denied_key == s0.denied_key + 2, "denied_key %llu -> %llu",
	      (unsigned long long)s0.denied_key, (unsigned long long)s1.denied_key);
	CHECK(s1.unknown_id == s0.unknown_id + 2, "unknown_id counter");
	CHECK(s1.remote == s0.remote + 1, "remote counter");
	CHECK(producer_cmd(&p, 'c') == 0, "producer data changed");
	close(fd);
	stop_producer(&p);
	return 0;
}

static int t_direct_mmap_denied(void)
{
	struct producer p;
	int e = start_producer(&p, 4, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	int fd = sopen();
	errno = 0;
	void *a = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, fd, (off_t)(p.handle << DMERGE_OFF_SHIFT));
	CHECK(a == MAP_FAILED && errno == EACCES, "mmap without rmap grant must fail (EACCES), got %s",
	      a == MAP_FAILED ? strerror(errno) : "success");
	a = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, (off_t)(p.handle << DMERGE_OFF_SHIFT));
	CHECK(a == MAP_FAILED, "private mmap without grant must fail");
	close(fd);
	stop_producer(&p);
	return 0;
}

static int t_fixed_address(void)
{
	struct producer p;
	struct rmap_result res;
	int e = start_producer(&p, 8, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	int fd = sopen();
	char *want = mmap(NULL, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(want != MAP_FAILED, "reserve");
	char *at = want + 4 * PAGE;
	CHECK(rmap(fd, NULL, p.id, p.key, at, at + 8 * PAGE, &res) == 0, "rmap fixed: %s",
	      strerror(errno));
	CHECK(res.addr == at && res.len == 8 * PAGE, "mapped at %p, want %p", res.addr, (void *)at);
	CHECK(verify(at, 8 * PAGE, p.id) == -1, "data at fixed address");
	runmap(&res);
	/* prefix of the region, kernel-chosen address: vm_start 0, vm_end = length */
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, (void *)(2 * PAGE), &res) == 0, "rmap prefix: %s",
	      strerror(errno));
	CHECK(res.len == 2 * PAGE && res.size == 8 * PAGE, "prefix len");
	CHECK(verify(res.addr, 2 * PAGE, p.id) == -1, "prefix data");
	runmap(&res);
	munmap(want, 16 * PAGE);
	close(fd);
	stop_producer(&p);
	return 0;
}

static int t_release_keeps_mapping(void)
{
	struct producer p;
	struct rmap_result res;
	struct dmerge_stats s;
	int e = start_producer(&p, 32, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	int fd = sopen();
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, NULL, &res) == 0, "rmap: %s", strerror(errno));
	CHECK(producer_cmd(&p, 'r') == 0, "release failed");
	errno = 0;
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, NULL, &(struct rmap_result){0}) == -1 &&
	      errno == ENOENT, "rmap after release: want ENOENT, got %s", strerror(errno));
	CHECK(producer_cmd(&p, 'r') == ENOENT, "second release should be ENOENT");
	CHECK(get_stats(&s) == 0 && s.regions == 0 && s.regions_live == 1 && s.pages_pinned == 32,
	      "stats after release while mapped: regions %llu live %llu pinned %llu",
	      (unsigned long long)s.regions, (unsigned long long)s.regions_live,
	      (unsigned long long)s.pages_pinned);
	CHECK(verify(res.addr, res.len, p.id) == -1, "mapping changed after release");
	stop_producer(&p);
	CHECK(verify(res.addr, res.len, p.id) == -1, "mapping changed after producer exit");
	runmap(&res);
	CHECK(get_stats(&s) == 0 && s.regions_live == 0 && s.pages_pinned == 0, "not freed on unmap");
	close(fd);
	return 0;
}

static int t_close_releases(void)
{
	struct producer p;
	int e = start_producer(&p, 4, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	CHECK(producer_cmd(&p, 'k') == 0, "close");
	int fd = sopen();
	errno = 0;
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, NULL, &(struct rmap_result){0}) == -1 &&
	      errno == ENOENT, "rmap after producer close: want ENOENT, got %s", strerror(errno));
	struct dmerge_stats s;
	CHECK(get_stats(&s) == 0 && s.regions == 0 && s.regions_live == 0 && s.pages_pinned == 0,
	      "stats after close");
	close(fd);
	stop_producer(&p);
	return 0;
}

static int t_crash_cleanup(void)
{
	struct producer p;
	struct rmap_result res;
	struct dmerge_stats s;
	int st;
	int e = start_producer(&p, 256, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	int fd = sopen();
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, NULL, &res) == 0, "rmap: %s", strerror(errno));
	/* a forked child inherits the mapping (vm_ops->open takes a reference) */
	int go[2];
	CHECK(pipe(go) == 0, "pipe");
	pid_t kid = fork();
	if (kid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		if (verify(res.addr, res.len, p.id) != -1)
			_exit(1);
		memset(res.addr, 0xEE, 3 * PAGE); /* child's own COW copy */
		_exit(((unsigned char *)res.addr)[PAGE] == 0xEE ? 0 : 5);
	}
	close(go[0]);
	CHECK(get_stats(&s) == 0 && s.active_maps == 2, "active_maps %llu != 2 after fork",
	      (unsigned long long)s.active_maps);

	kill(p.pid, SIGKILL);
	waitpid(p.pid, &st, 0);
	CHECK(WIFSIGNALED(st), "producer not killed");
	close(p.cmd);
	close(p.rsp);
	p.pid = 0;
	CHECK(get_stats(&s) == 0 && s.regions == 0 && s.regions_live == 1, "after crash: regions %llu live %llu",
	      (unsigned long long)s.regions, (unsigned long long)s.regions_live);
	errno = 0;
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, NULL, &(struct rmap_result){0}) == -1 &&
	      errno == ENOENT, "rmap after crash: want ENOENT, got %s", strerror(errno));
	CHECK(verify(res.addr, res.len, p.id) == -1, "data lost after producer crash");
	CHECK(write(go[1], "g", 1) == 1, "go");
	waitpid(kid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "forked consumer saw bad data");
	CHECK(verify(res.addr, res.len, p.id) == -1, "child's COW write leaked into parent");
	close(go[1]);
	/* split the VMA (partial munmap) then unmap the rest */
	char *a = res.addr;
	CHECK(munmap(a + 100 * PAGE, 10 * PAGE) == 0, "partial munmap");
	CHECK(get_stats(&s) == 0 && s.active_maps == 2, "split: active_maps %llu",
	      (unsigned long long)s.active_maps);
	CHECK(verify(a, 100 * PAGE, p.id) == -1, "data after split");
	munmap(a, 100 * PAGE);
	CHECK(get_stats(&s) == 0 && s.regions_live == 1, "freed too early");
	munmap(a + 110 * PAGE, 146 * PAGE);
	close(fd);
	CHECK(get_stats(&s) == 0 && s.regions == 0 && s.regions_live == 0 && s.pages_pinned == 0 &&
	      s.active_maps == 0, "leak after crash: live %llu pinned %llu maps %llu",
	      (unsigned long long)s.regions_live, (unsigned long long)s.pages_pinned,
	      (unsigned long long)s.active_maps);
	return 0;
}

static int t_consumer_crash(void)
{
	struct producer p;
	int st;
	int e = start_producer(&p, 16, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	pid_t c = fork();
	if (c == 0) {
		struct rmap_result r;
		int fd = sopen();
		if (rmap(fd, NULL, p.id, p.key, NULL, NULL, &r))
			_exit(2);
		((char *)r.addr)[0] = 9; /* private COW page */
		raise(SIGKILL);
		_exit(3);
	}
	waitpid(c, &st, 0);
	CHECK(WIFSIGNALED(st), "consumer did not die by signal (st %#x)", st);
	struct dmerge_stats s;
	CHECK(get_stats(&s) == 0 && s.active_maps == 0 && s.regions == 1 && s.regions_live == 1,
	      "after consumer crash");
	CHECK(producer_cmd(&p, 'c') == 0, "producer data changed");
	stop_producer(&p);
	return 0;
}

struct thr_arg {
	int fd;
	int idx;
	int iters;
	int fails;
	char msg[128];
};

static void *thr_main(void *v)
{
	struct thr_arg *t = v;
	size_t len = 4 * PAGE;
	for (int i = 0; i < t->iters; i++) {
		uint64_t id = ((uint64_t)getpid() << 32) | (uint64_t)(0x100000 + t->idx * 10000 + i);
		uint8_t key[DMERGE_KEY_LEN];
		struct rmap_result r;
		make_key(id, key);
		char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED) {
			t->fails++;
			continue;
		}
		fill(buf, len, id);
		if (register_mem(t->fd, id, key, buf, buf + len, NULL)) {
			snprintf(t->msg, sizeof(t->msg), "register: %s", strerror(errno));
			t->fails++;
			munmap(buf, len);
			continue;
		}
		if (rmap(t->fd, NULL, id, key, NULL, NULL, &r) || verify(r.addr, r.len, id) != -1) {
			snprintf(t->msg, sizeof(t->msg), "rmap/verify: %s", strerror(errno));
			t->fails++;
		} else {
			runmap(&r);
		}
		/* odd iterations stay registered until the fd is closed */
		if (!(i & 1) && release(t->fd, id, key)) {
			snprintf(t->msg, sizeof(t->msg), "release: %s", strerror(errno));
			t->fails++;
		}
		munmap(buf, len);
	}
	return NULL;
}

static int t_concurrent(void)
{
	enum { NT = 8, ITERS = 64 };
	pthread_t th[NT];
	struct thr_arg a[NT];
	struct dmerge_stats s;
	int shared_fd = sopen();
	CHECK(shared_fd >= 0, "open");
	for (int i = 0; i < NT; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].idx = i;
		a[i].iters = ITERS;
		/* half the threads share one fd, half have their own */
		a[i].fd = (i & 1) ? shared_fd : sopen();
		CHECK(pthread_create(&th[i], NULL, thr_main, &a[i]) == 0, "pthread_create");
	}
	int fails = 0;
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		if (a[i].fails)
			fprintf(stderr, "  thread %d: %d failures (%s)\n", i, a[i].fails, a[i].msg);
		fails += a[i].fails;
	}
	CHECK(fails == 0, "%d failures in threads", fails);
	CHECK(get_stats(&s) == 0 && s.regions == NT * ITERS / 2, "regions %llu != %d",
	      (unsigned long long)s.regions, NT * ITERS / 2);
	for (int i = 0; i < NT; i++)
		if (!(i & 1))
			close(a[i].fd);
	close(shared_fd);
	CHECK(get_stats(&s) == 0 && s.regions == 0 && s.pages_pinned == 0, "not all released on close");
	return 0;
}

struct race {
	uint64_t id;
	uint8_t key[DMERGE_KEY_LEN];
	volatile int stop;
	int fails;
	long maps, misses;
	char msg[128];
	pthread_mutex_t mu;
};

static void race_fail(struct race *r, const char *what, int err)
{
	pthread_mutex_lock(&r->mu);
	if (!r->fails++)
		snprintf(r->msg, sizeof(r->msg), "%s: %s", what, strerror(err));
	pthread_mutex_unlock(&r->mu);
}

static void *race_consumer(void *v)
{
	struct race *r = v;
	int fd = sopen();
	while (!r->stop) {
		struct rmap_result m;
		if (rmap(fd, NULL, r->id, r->key, NULL, NULL, &m)) {
			if (errno != ENOENT)
				race_fail(r, "rmap", errno);
			__sync_fetch_and_add(&r->misses, 1);
			continue;
		}
		__sync_fetch_and_add(&r->maps, 1);
		if (verify(m.addr, PAGE, r->id) != -1 ||
		    verify((char *)m.addr + m.len - PAGE, PAGE, r->id ^ 1) != -1)
			race_fail(r, "data", EBADMSG);
		((char *)m.addr)[0] ^= 1; /* COW under the race */
		if (m.len > 2 * PAGE)
			munmap((char *)m.addr + PAGE, PAGE); /* split */
		munmap(m.addr, m.len);
	}
	close(fd);
	return NULL;
}

/* producer side: register / release / close on the same id, while consumers rmap */
static int t_race_rmap_release(void)
{
	enum { NC = 3, ROUNDS = 300, NP = 8 };
	struct race r;
	pthread_t th[NC];
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	r.id = next_id();
	make_key(r.id, r.key);
	char *buf = mmap(NULL, NP * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	fill(buf, PAGE, r.id);
	fill(buf + (NP - 1) * PAGE, PAGE, r.id ^ 1);
	for (int i = 0; i < NC; i++)
		CHECK(pthread_create(&th[i], NULL, race_consumer, &r) == 0, "pthread_create");
	int fd = sopen();
	for (int i = 0; i < ROUNDS && !r.fails; i++) {
		if (register_mem(fd, r.id, r.key, buf, buf + NP * PAGE, NULL)) {
			race_fail(&r, "register", errno);
			break;
		}
		usleep(i % 7 == 0 ? 1000 : 0);
		if (i % 5 == 4) { /* auto release via close */
			close(fd);
			fd = sopen();
		} else if (release(fd, r.id, r.key)) {
			race_fail(&r, "release", errno);
			break;
		}
	}
	r.stop = 1;
	for (int i = 0; i < NC; i++)
		pthread_join(th[i], NULL);
	close(fd);
	printf("  %ld rmaps, %ld ENOENT\n", r.maps, r.misses);
	CHECK(r.fails == 0, "%d failures, first: %s", r.fails, r.msg);
	CHECK(r.maps > 0, "no rmap ever succeeded");
	CHECK(verify(buf, PAGE, r.id) == -1, "producer data changed");
	munmap(buf, NP * PAGE);
	return 0;
}

/*
 * Forwarding without a copy: T rmaps P's region, writes one page, and
 * registers (parts of) its rmapped range as new regions; D consumes those.
 */
static int t_forward(void)
{
	struct producer p;
	struct rmap_result a;
	struct vm_meta m2, m3;
	struct dmerge_stats s;
	uint64_t id2 = next_id(), id3 = next_id();
	uint8_t key2[DMERGE_KEY_LEN], key3[DMERGE_KEY_LEN];
	int st;
	int e = start_producer(&p, 8, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	make_key(id2, key2);
	make_key(id3, key3);
	int fd = sopen();
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, NULL, &a) == 0, "rmap: %s", strerror(errno));
	char *base = a.addr;
	memset(base + 2 * PAGE, 0x5C, PAGE); /* T's own COW copy of page 2 */
	uint64_t pfn2 = pfn_of(base + 2 * PAGE);
	CHECK(pfn2 && pfn2 != p.pfn[2], "COW did not happen");
	CHECK(register_mem(fd, id2, key2, base, base + 8 * PAGE, &m2) == 0, "forward register: %s",
	      strerror(errno));
	CHECK(m2.size == 8 * PAGE && m2.nr_pages == 8, "forward meta");
	CHECK(register_mem(fd, id3, key3, base + 2 * PAGE, base + 4 * PAGE, &m3) == 0,
	      "forward sub-range: %s", strerror(errno));
	errno = 0;
	CHECK(register_mem(fd, next_id(), key3, base + 4 * PAGE, base + 12 * PAGE, NULL) == -1 &&
	      errno == EINVAL, "range beyond the rmapped mapping: want EINVAL, got %s", strerror(errno));
	CHECK(get_stats(&s) == 0 && s.regions == 3 && s.pages_pinned == 8 + 1 + 1,
	      "pinned %llu (want 10: 8 producer + 1 COW page per forwarded region)",
	      (unsigned long long)s.pages_pinned);
	char *expected = malloc(8 * PAGE);
	memcpy(expected, base, 8 * PAGE);
	CHECK(producer_cmd(&p, 'c') == 0, "producer data changed");

	int sync1[2], sync2[2];
	CHECK(pipe(sync1) == 0 && pipe(sync2) == 0, "pipe");
	pid_t d = fork();
	if (d == 0) {
		struct rmap_result b, c;
		char ch;
		/* drop what fork inherited from T: its fd and its mapping */
		munmap(base, 8 * PAGE);
		close(fd);
		int fd2 = sopen();
		if (rmap(fd2, NULL, id2, key2, NULL, NULL, &b) || rmap(fd2, NULL, id3, key3, NULL, NULL, &c))
			_exit(2);
		if (memcmp(b.addr, expected, 8 * PAGE) || memcmp(c.addr, expected + 2 * PAGE, 2 * PAGE))
			_exit(3);
		if (pfn_of(b.addr) != p.pfn[0] || pfn_of((char *)b.addr + 7 * PAGE) != p.pfn[7])
			_exit(4); /* unwritten pages: the producer's pages */
		if (pfn_of((char *)b.addr + 2 * PAGE) != pfn2 || pfn_of(c.addr) != pfn2)
			_exit(5); /* written page: T's pinned COW page */
		if (write(sync1[1], "m", 1) != 1 || read(sync2[0], &ch, 1) != 1)
			_exit(6);
		if (memcmp(b.addr, expected, 8 * PAGE) || memcmp(c.addr, expected + 2 * PAGE, 2 * PAGE))
			_exit(7); /* after producer exit and T's release */
		_exit(0);
	}
	char ch;
	CHECK(read(sync1[0], &ch, 1) == 1, "consumer D failed early");
	stop_producer(&p);
	munmap(base, 8 * PAGE);
	close(fd); /* releases id2 and id3; D's mappings keep the chain alive */
	CHECK(get_stats(&s) == 0 && s.regions == 0 && s.regions_live == 3,
	      "after release: regions %llu live %llu", (unsigned long long)s.regions,
	      (unsigned long long)s.regions_live);
	CHECK(write(sync2[1], "g", 1) == 1, "go");
	waitpid(d, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "consumer D failed (st %#x)", st);
	free(expected);
	return 0;
}

static int t_forward_chain(void)
{
	enum { DEPTH = 16, NP = 4 };
	struct rmap_result m[DEPTH + 2];
	uint64_t ids[DEPTH + 2];
	uint8_t key[DMERGE_KEY_LEN];
	struct dmerge_stats s;
	int fd_reg = sopen(), fd_map = sopen(); /* separate roles: see README */
	char *buf = mmap(NULL, NP * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	make_key(7, key);
	ids[0] = next_id();
	fill(buf, NP * PAGE, ids[0]);
	CHECK(register_mem(fd_reg, ids[0], key, buf, buf + NP * PAGE, NULL) == 0, "register: %s",
	      strerror(errno));
	int k;
	for (k = 0; k <= DEPTH; k++) {
		CHECK(rmap(fd_map, NULL, ids[k], key, NULL, NULL, &m[k]) == 0, "rmap level %d: %s", k,
		      strerror(errno));
		CHECK(verify(m[k].addr, NP * PAGE, ids[0]) == -1, "data at level %d", k);
		ids[k + 1] = next_id();
		char *a = m[k].addr;
		if (register_mem(fd_reg, ids[k + 1], key, a, a + NP * PAGE, NULL))
			break;
	}
	CHECK(k == DEPTH && errno == ELOOP, "chain stopped at %d with %s, want %d / ELOOP", k,
	      strerror(errno), DEPTH);
	CHECK(get_stats(&s) == 0 && s.regions == DEPTH + 1 && s.pages_pinned == NP,
	      "regions %llu pinned %llu", (unsigned long long)s.regions,
	      (unsigned long long)s.pages_pinned);
	close(fd_reg); /* release all; the mappings keep the chain */
	CHECK(verify(m[DEPTH].addr, NP * PAGE, ids[0]) == -1, "deepest level after release");
	for (int i = 0; i <= DEPTH; i++)
		munmap(m[i].addr, NP * PAGE);
	close(fd_map);
	munmap(buf, NP * PAGE);
	return 0;
}

static int t_large_region(void)
{
	size_t n = 16384; /* 64 MiB */
	struct producer p;
	struct rmap_result res;
	int e = start_producer(&p, n, 0);
	CHECK(e == 0, "producer register 64 MiB: %s", strerror(e));
	int fd = sopen();
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, NULL, &res) == 0, "rmap: %s", strerror(errno));
	long bad = verify(res.addr, res.len, p.id);
	CHECK(bad == -1, "data differs at word %ld", bad);
	runmap(&res);
	close(fd);
	stop_producer(&p);
	return 0;
}

static int t_readonly_producer_memory(void)
{
	struct producer p;
	struct rmap_result res;
	int e = start_producer(&p, 8, P_READONLY);
	CHECK(e == 0, "register of PROT_READ memory: %s", strerror(e));
	int fd = sopen();
	CHECK(rmap(fd, NULL, p.id, p.key, NULL, NULL, &res) == 0, "rmap: %s", strerror(errno));
	CHECK(verify(res.addr, res.len, p.id) == -1, "data");
	((char *)res.addr)[0] ^= 1; /* COW */
	CHECK(producer_cmd(&p, 'c') == 0, "producer data changed");
	runmap(&res);
	close(fd);
	stop_producer(&p);
	return 0;
}

static int t_shared_memory_producer(void)
{
	/* producer output in MAP_SHARED anonymous (shmem) memory */
	size_t len = 8 * PAGE;
	uint64_t id = next_id();
	uint8_t key[DMERGE_KEY_LEN];
	struct rmap_result res;
	make_key(id, key);
	int fd = sopen();
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	fill(buf, len, id);
	CHECK(register_mem(fd, id, key, buf, buf + len, NULL) == 0, "register shmem: %s",
	      strerror(errno));
	CHECK(rmap(fd, NULL, id, key, NULL, NULL, &res) == 0, "rmap: %s", strerror(errno));
	CHECK(verify(res.addr, len, id) == -1, "data");
	CHECK(pfn_of(res.addr) == pfn_of(buf), "not zero-copy");
	((char *)res.addr)[8] ^= 0xff;
	CHECK(verify(buf, len, id) == -1, "producer shmem changed");
	runmap(&res);
	CHECK(release(fd, id, key) == 0, "release: %s", strerror(errno));
	close(fd);
	return 0;
}

/* ---- limits (module parameters) ----------------------------------------- */

static const char *PARAMS[] = {"max_regions_per_proc", "max_bytes_per_proc", "max_region_bytes"};
static char saved_params[3][64];

static int param_rw(const char *name, char *get, const char *set)
{
	char path[256];
	snprintf(path, sizeof(path), "/sys/module/dmerge/parameters/%s", name);
	int fd = open(path, set ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return -1;
	int r = 0;
	if (set) {
		r = write(fd, set, strlen(set)) == (ssize_t)strlen(set) ? 0 : -1;
	} else {
		ssize_t n = read(fd, get, 63);
		r = n > 0 ? 0 : -1;
		get[n > 0 ? n : 0] = 0;
		get[strcspn(get, "\n")] = 0;
	}
	close(fd);
	return r;
}

static void restore_params(void)
{
	for (int i = 0; i < 3; i++)
		if (saved_params[i][0])
			param_rw(PARAMS[i], NULL, saved_params[i]);
}

static int t_limits(void)
{
	int fd = sopen();
	size_t len = 16 * PAGE;
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t key[DMERGE_KEY_LEN];
	struct dmerge_stats s0, s1;
	memset(buf, 7, len);
	make_key(1, key);
	get_stats(&s0);

	CHECK(param_rw("max_regions_per_proc", NULL, "4") == 0, "set max_regions_per_proc");
	for (int i = 0; i < 4; i++)
		CHECK(register_mem(fd, next_id(), key, buf + i * PAGE, buf + (i + 1) * PAGE, NULL) == 0,
		      "register %d: %s", i, strerror(errno));
	errno = 0;
	CHECK(register_mem(fd, next_id(), key, buf, buf + PAGE, NULL) == -1 && errno == EDQUOT,
	      "5th region: want EDQUOT, got %s", strerror(errno));
	/* a second descriptor of the same process is charged to the same process */
	int fd2 = sopen();
	errno = 0;
	CHECK(register_mem(fd2, next_id(), key, buf, buf + PAGE, NULL) == -1 && errno == EDQUOT,
	      "other fd same process: want EDQUOT, got %s", strerror(errno));
	close(fd2);
	close(fd); /* releases the 4 regions and uncharges */
	fd = sopen();
	CHECK(register_mem(fd, next_id(), key, buf, buf + PAGE, NULL) == 0, "after close: %s",
	      strerror(errno));
	close(fd);
	CHECK(param_rw("max_regions_per_proc", NULL, saved_params[0]) == 0, "restore");

	fd = sopen();
	CHECK(param_rw("max_bytes_per_proc", NULL, "32768") == 0, "set max_bytes_per_proc");
	CHECK(register_mem(fd, next_id(), key, buf, buf + 8 * PAGE, NULL) == 0, "8 pages: %s",
	      strerror(errno));
	errno = 0;
	CHECK(register_mem(fd, next_id(), key, buf, buf + PAGE, NULL) == -1 && errno == EDQUOT,
	      "over byte quota: want EDQUOT, got %s", strerror(errno));
	close(fd);
	CHECK(param_rw("max_bytes_per_proc", NULL, saved_params[1]) == 0, "restore");

	fd = sopen();
	CHECK(param_rw("max_region_bytes", NULL, "16384") == 0, "set max_region_bytes");
	CHECK(register_mem(fd, next_id(), key, buf, buf + 4 * PAGE, NULL) == 0, "4 pages: %s",
	      strerror(errno));
	errno = 0;
	CHECK(register_mem(fd, next_id(), key, buf, buf + 5 * PAGE, NULL) == -1 && errno == E2BIG,
	      "region too big: want E2BIG, got %s", strerror(errno));
	close(fd);
	CHECK(param_rw("max_region_bytes", NULL, saved_params[2]) == 0, "restore");

	get_stats(&s1);
	CHECK(s1.limit_denials == s0.limit_denials + 4, "limit_denials counter %llu -> %llu",
	      (unsigned long long)s0.limit_denials, (unsigned long long)s1.limit_denials);
	munmap(buf, len);
	return 0;
}

static int t_sysfs_stats(void)
{
	struct producer p;
	int e = start_producer(&p, 4, 0);
	CHECK(e == 0, "producer register: %s", strerror(e));
	FILE *f = fopen("/sys/class/misc/dmerge/stats", "r");
	CHECK(f, "open sysfs stats: %s", strerror(errno));
	char line[128];
	unsigned long long regions = ~0ULL, pinned = ~0ULL, v;
	char name[64];
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu", name, &v) == 2) {
			if (!strcmp(name, "regions"))
				regions = v;
			if (!strcmp(name, "bytes_pinned"))
				pinned = v;
		}
	fclose(f);
	CHECK(regions == 1 && pinned == 4 * PAGE, "sysfs regions %llu bytes_pinned %llu", regions, pinned);
	f = fopen("/sys/class/misc/dmerge/pages_pinned", "r");
	CHECK(f && fscanf(f, "%llu", &v) == 1 && v == 4, "sysfs pages_pinned");
	fclose(f);
	/* debugfs region list (if debugfs is mounted) */
	f = fopen("/sys/kernel/debug/dmerge/regions", "r");
	if (f) {
		int found = 0;
		unsigned long long h, id, size;
		unsigned long np;
		unsigned refs;
		int reg, owner;
		CHECK(fgets(line, sizeof(line), f) != NULL, "debugfs header");
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%llu %llu %llu %lu %u %d %d", &h, &id, &size, &np, &refs,
				   &reg, &owner) == 7 &&
			    id == p.id)
				found = h == p.handle && size == 4 * PAGE && reg == 1 &&
					owner == p.pid && refs == 1;
		fclose(f);
		CHECK(found, "region not (correctly) listed in debugfs");
	} else {
		printf("  (debugfs not mounted, region list not checked)\n");
	}
	stop_producer(&p);
	return 0;
}

/* ---- harness ------------------------------------------------------------- */

struct test {
	const char *name;
	int (*fn)(void);
};

static const struct test TESTS[] = {
	{"query_mac", t_query_mac},
	{"rmap_same_data_zero_copy", t_zero_copy},
	{"cow_private_mapping", t_cow},
	{"readonly_shared_mapping", t_readonly},
	{"errnos_wrong_key_unknown_id_remote", t_errors},
	{"direct_mmap_without_rmap_denied", t_direct_mmap_denied},
	{"rmap_fixed_address_and_prefix", t_fixed_address},
	{"release_keeps_existing_mappings", t_release_keeps_mapping},
	{"close_releases", t_close_releases},
	{"producer_crash_cleanup", t_crash_cleanup},
	{"consumer_crash_cleanup", t_consumer_crash},
	{"concurrent_registrations_threads", t_concurrent},
	{"forward_rmapped_range_zero_copy", t_forward},
	{"forward_chain_depth_limit", t_forward_chain},
	{"race_rmap_vs_release_and_close", t_race_rmap_release},
	{"large_region_64MiB", t_large_region},
	{"readonly_producer_memory", t_readonly_producer_memory},
	{"shmem_producer_memory", t_shared_memory_producer},
	{"limits_module_params", t_limits},
	{"stats_sysfs_and_debugfs", t_sysfs_stats},
};

static int run_one(const struct test *t, const char *filter)
{
	int pfd[2];
	if (filter && !strstr(t->name, filter))
		return -1;
	fflush(stdout);
	if (pipe(pfd))
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		setpgid(0, 0);
		alarm(TEST_TIMEOUT);
		int r = t->fn();
		if (r)
			(void)!write(pfd[1], fail_msg, strlen(fail_msg));
		fflush(stdout);
		_exit(r ? 1 : 0);
	}
	close(pfd[1]);
	char msg[512] = {0};
	size_t got = 0;
	int st;
	waitpid(pid, &st, 0);  /* the test itself is bounded by its alarm() */
	kill(-pid, SIGKILL);   /* stray helpers of the test (same process group) */
	for (;;) { /* the child's failure message, until EOF */
		ssize_t n = read(pfd[0], msg + got, sizeof(msg) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (got += (size_t)n) >= sizeof(msg) - 1)
			break;
	}
	close(pfd[0]);
	restore_params();
	usleep(20000);

	char why[600] = "";
	if (WIFSIGNALED(st))
		snprintf(why, sizeof(why), "killed by signal %d%s", WTERMSIG(st),
			 WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
	else if (WEXITSTATUS(st))
		snprintf(why, sizeof(why), "%s", msg[0] ? msg : "failed");
	if (!why[0]) {
		struct dmerge_stats s;
		if (get_stats(&s))
			snprintf(why, sizeof(why), "stats: %s", strerror(errno));
		else if (s.regions || s.regions_live || s.pages_pinned || s.active_maps)
			snprintf(why, sizeof(why),
				 "leak after test: regions %llu live %llu pages %llu maps %llu",
				 (unsigned long long)s.regions, (unsigned long long)s.regions_live,
				 (unsigned long long)s.pages_pinned,
				 (unsigned long long)s.active_maps);
	}
	if (why[0]) {
		printf("FAIL: %s: %s\n", t->name, why);
		fflush(stdout);
		return 1;
	}
	printf("PASS: %s\n", t->name);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < 3; i++)
		param_rw(PARAMS[i], saved_params[i], NULL);
	for (size_t i = 0; i < sizeof(TESTS) / sizeof(TESTS[0]); i++) {
		int r = run_one(&TESTS[i], filter);
		if (r == 0)
			passed++;
		else if (r > 0)
			failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
