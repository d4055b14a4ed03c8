/* SPDX-License-Identifier: MIT */
/*
 * libdmerge: user-space API for the dmerge kernel module (/dev/dmerge).
 *
 * All functions follow the syscall convention: 0 (or a descriptor) on
 * success, -1 with errno set on failure.  See kmod/README.md.
 */
#ifndef DMERGE_H
#define DMERGE_H

#include <stddef.h>
#include <stdint.h>
#include "../include/dmerge_uapi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* result of register_mem() */
struct vm_meta {
	uint64_t size;      /* bytes registered */
	uint64_t nr_pages;  /* pages pinned */
	uint64_t handle;    /* node-unique region handle */
};

/* result of rmap() */
struct rmap_result {
	void    *addr;      /* where the region is mapped in the caller */
	uint64_t len;       /* bytes mapped (munmap(addr, len) to unmap) */
	uint64_t size;      /* full region size */
	uint64_t nr_pages;
	uint64_t handle;
};

/* Open /dev/dmerge (O_RDWR|O_CLOEXEC). Returns fd or -1. Closing the fd
 * releases every region registered through it. */
int sopen(void);

/* This node's MAC (first non-loopback interface). ENODEV if none. */
int query_mac(int fd, uint8_t mac[DMERGE_MAC_LEN]);

/* Pin [vm_start, vm_end) (page-aligned) and register it under (id, key). */
int register_mem(int fd, uint64_t id, const uint8_t key[DMERGE_KEY_LEN],
		 void *vm_start, void *vm_end, struct vm_meta *meta);

/*
 * Map region (id, key) into the caller.  mac == NULL or all-zero, or equal
 * to query_mac(): this node.  Any other mac: -1/EREMOTE (ask the node agent).
 * vm_start == NULL: the kernel picks the address; otherwise the region is
 * mapped exactly there (MAP_FIXED semantics: replaces existing mappings).
 * vm_end == NULL: whole region; otherwise (vm_end - vm_start) bytes.
 * flags: 0 = private copy-on-write (writes stay the caller's own),
 *        DMERGE_RMAP_READONLY = shared read-only mapping.
 */
int rmap_flags(int fd, const uint8_t mac[DMERGE_MAC_LEN], uint64_t id,
	       const uint8_t key[DMERGE_KEY_LEN], void *vm_start, void *vm_end,
	       uint64_t flags, struct rmap_result *res);

/* rmap_flags(..., 0, res): private copy-on-write mapping. */
int rmap(int fd, const uint8_t mac[DMERGE_MAC_LEN], uint64_t id,
	 const uint8_t key[DMERGE_KEY_LEN], void *vm_start, void *vm_end,
	 struct rmap_result *res);

/* Unmap an rmap() result (plain munmap). */
int runmap(const struct rmap_result *res);

/* Unregister (id, key); only via the fd that registered it (else EPERM).
 * Existing consumer mappings stay valid until unmapped. */
int release(int fd, uint64_t id, const uint8_t key[DMERGE_KEY_LEN]);

/* Node-wide counters. */
int dmerge_stats(int fd, struct dmerge_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* DMERGE_H */
