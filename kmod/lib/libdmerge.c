/* SPDX-License-Identifier: MIT */
#include "dmerge.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int sopen(void)
{
	return open(DMERGE_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

int query_mac(int fd, uint8_t mac[DMERGE_MAC_LEN])
{
	struct dmerge_mac m;

	memset(&m, 0, sizeof(m));
	if (ioctl(fd, DMERGE_IOC_QUERY_MAC, &m) < 0)
		return -1;
	memcpy(mac, m.mac, DMERGE_MAC_LEN);
	return 0;
}

int register_mem(int fd, uint64_t id, const uint8_t key[DMERGE_KEY_LEN],
		 void *vm_start, void *vm_end, struct vm_meta *meta)
{
	struct dmerge_register a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	memcpy(a.key, key, DMERGE_KEY_LEN);
	a.vm_start = (uintptr_t)vm_start;
	a.vm_end = (uintptr_t)vm_end;
	if (ioctl(fd, DMERGE_IOC_REGISTER, &a) < 0)
		return -1;
	if (meta) {
		meta->size = a.size;
		meta->nr_pages = a.nr_pages;
		meta->handle = a.handle;
	}
	return 0;
}

int rmap_flags(int fd, const uint8_t mac[DMERGE_MAC_LEN], uint64_t id,
	       const uint8_t key[DMERGE_KEY_LEN], void *vm_start, void *vm_end,
	       uint64_t flags, struct rmap_result *res)
{
	struct dmerge_rmap a;

	memset(&a, 0, sizeof(a));
	if (mac)
		memcpy(a.mac, mac, DMERGE_MAC_LEN);
	a.id = id;
	memcpy(a.key, key, DMERGE_KEY_LEN);
	a.vm_start = (uintptr_t)vm_start;
	a.vm_end = (uintptr_t)vm_end;
	a.flags = flags;
	if (ioctl(fd, DMERGE_IOC_RMAP, &a) < 0)
		return -1;
	if (res) {
		res->addr = (void *)(uintptr_t)a.addr;
		res->len = a.len;
		res->size = a.size;
		res->nr_pages = a.nr_pages;
		res->handle = a.handle;
	}
	return 0;
}

int rmap(int fd, const uint8_t mac[DMERGE_MAC_LEN], uint64_t id,
	 const uint8_t key[DMERGE_KEY_LEN], void *vm_start, void *vm_end,
	 struct rmap_result *res)
{
	return rmap_flags(fd, mac, id, key, vm_start, vm_end, 0, res);
}

int runmap(const struct rmap_result *res)
{
	return munmap(res->addr, res->len);
}

int release(int fd, uint64_t id, const uint8_t key[DMERGE_KEY_LEN])
{
	struct dmerge_release a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	memcpy(a.key, key, DMERGE_KEY_LEN);
	return ioctl(fd, DMERGE_IOC_RELEASE, &a) < 0 ? -1 : 0;
}

int dmerge_stats(int fd, struct dmerge_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, DMERGE_IOC_STATS, st) < 0 ? -1 : 0;
}
