/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Dmerge ioctl ABI, shared by the kernel module (src/dmerge.c) and the
 * user-space library (lib/libdmerge.c).  All structs use fixed-size,
 * naturally aligned fields, so the layout is identical for 32- and 64-bit
 * callers.  Reserved/padding fields must be zero on input.
 */
#ifndef DMERGE_UAPI_H
#define DMERGE_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define DMERGE_DEVICE_PATH   "/dev/dmerge"
#define DMERGE_KEY_LEN       16          /* 128-bit capability key */
#define DMERGE_MAC_LEN       6
#define DMERGE_IFNAME_LEN    16

/*
 * An rmap()ed region is backed by an mmap of /dev/dmerge at file offset
 * (handle << DMERGE_OFF_SHIFT); a region is at most 1 << DMERGE_OFF_SHIFT
 * bytes (64 GiB).  Only the RMAP ioctl itself can create such a mapping.
 */
#define DMERGE_OFF_SHIFT     36

/* DMERGE_IOC_QUERY_MAC */
struct dmerge_mac {
	__u8  mac[DMERGE_MAC_LEN];       /* out: MAC of first non-loopback iface */
	__u8  pad[2];
	__u32 ifindex;                   /* out */
	char  ifname[DMERGE_IFNAME_LEN]; /* out: NUL-terminated */
};

/* DMERGE_IOC_REGISTER: register_mem(id, key, vm_start, vm_end) -> vm_meta */
struct dmerge_register {
	__u64 id;                        /* in: region id (node-wide namespace) */
	__u8  key[DMERGE_KEY_LEN];       /* in: capability key */
	__u64 vm_start;                  /* in: page-aligned start of caller range */
	__u64 vm_end;                    /* in: page-aligned end (exclusive) */
	__u64 flags;                     /* in: must be 0 */
	/* out: vm_meta */
	__u64 size;                      /* bytes registered (vm_end - vm_start) */
	__u64 nr_pages;                  /* pages pinned */
	__u64 handle;                    /* node-unique region handle (> 0) */
};

/* DMERGE_IOC_RMAP flags */
#define DMERGE_RMAP_READONLY  (1ULL << 0) /* MAP_SHARED + PROT_READ, never writable */

/* DMERGE_IOC_RMAP: rmap(mac_addr, id, key, vm_start, vm_end) */
struct dmerge_rmap {
	__u8  mac[DMERGE_MAC_LEN];       /* in: node of the region; 0 = this node */
	__u8  pad[2];
	__u64 id;                        /* in */
	__u8  key[DMERGE_KEY_LEN];       /* in */
	__u64 vm_start;                  /* in: 0 = kernel chooses, else MAP_FIXED here */
	__u64 vm_end;                    /* in: 0 = map the whole region */
	__u64 flags;                     /* in: DMERGE_RMAP_* */
	/* out */
	__u64 addr;                      /* where the region is mapped */
	__u64 len;                       /* bytes mapped */
	__u64 size;                      /* full region size */
	__u64 nr_pages;                  /* full region page count */
	__u64 handle;
};

/* DMERGE_IOC_RELEASE */
struct dmerge_release {
	__u64 id;                        /* in */
	__u8  key[DMERGE_KEY_LEN];       /* in */
	__u64 flags;                     /* in: must be 0 */
};

/* DMERGE_IOC_STATS: node-wide counters (same as /sys/class/misc/dmerge/) */
struct dmerge_stats {
	__u64 regions;          /* registered, visible to rmap */
	__u64 regions_live;     /* still pinned (registered or still mapped) */
	__u64 pages_pinned;
	__u64 bytes_pinned;
	__u64 active_maps;      /* consumer VMAs referencing a region */
	__u64 registrations;    /* total successful REGISTER */
	__u64 rmaps;            /* total successful RMAP */
	__u64 releases;         /* total regions released (explicit or on close) */
	__u64 denied_key;       /* EACCES: wrong key */
	__u64 unknown_id;       /* ENOENT: unknown id */
	__u64 remote;           /* EREMOTE: mac of another node */
	__u64 limit_denials;    /* EDQUOT / E2BIG */
};

#define DMERGE_IOC_MAGIC     0xDE
#define DMERGE_IOC_QUERY_MAC _IOR(DMERGE_IOC_MAGIC, 0x01, struct dmerge_mac)
#define DMERGE_IOC_REGISTER  _IOWR(DMERGE_IOC_MAGIC, 0x02, struct dmerge_register)
#define DMERGE_IOC_RMAP      _IOWR(DMERGE_IOC_MAGIC, 0x03, struct dmerge_rmap)
#define DMERGE_IOC_RELEASE   _IOW(DMERGE_IOC_MAGIC, 0x04, struct dmerge_release)
#define DMERGE_IOC_STATS     _IOR(DMERGE_IOC_MAGIC, 0x05, struct dmerge_stats)

#endif /* DMERGE_UAPI_H */
