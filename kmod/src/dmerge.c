// SPDX-License-Identifier: GPL-2.0
/*
 * dmerge: zero-copy memory hand-off between processes on one node.
 *
 *   REGISTER  pins a page-aligned range of the caller and records it under
 *             (id, 128-bit key).
 *   RMAP      maps a registered region into the caller: the same physical
 *             pages, private copy-on-write (default) or shared read-only.
 *   RELEASE   unregisters (also done automatically when the producer's
 *             descriptor is closed, e.g. when the producer dies).
 *   QUERY_MAC MAC of this node (first non-loopback interface).
 *
 * Lifetime: a region is reference counted (kref).  The registry holds one
 * reference; every consumer VMA holds one.  Pages stay pinned until the last
 * reference is gone, so a released region stays readable by consumers that
 * already mapped it, and nothing leaks once they unmap.
 *
 * Consumer mappings are VM_MIXEDMAP; the fault handler inserts the pinned
 * pfns as special PTEs (no rmap/refcount games with the producer's anon
 * pages).  On a MAP_PRIVATE mapping the PTEs are read-only, so the first
 * write takes the regular copy-on-write path and the consumer gets its own
 * anonymous copy; the pinned page (the producer's data) never changes.
 *
 * Lock order: mmap_lock -> dm_lock -> acct_lock.  dm_lock is never held
 * while touching user memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/hashtable.h>
#include <linux/xarray.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/atomic.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/pfn_t.h>
#include <linux/version.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <crypto/algapi.h>	/* crypto_memneq */

#include "dmerge_uapi.h"

#define DM_PGOFF_SHIFT		(DMERGE_OFF_SHIFT - PAGE_SHIFT)
#define DM_MAX_HANDLE		((1U << (63 - DMERGE_OFF_SHIFT)) - 1)
#define DM_HARD_MAX_BYTES	(1ULL << DMERGE_OFF_SHIFT)
#define DM_PIN_CHUNK		65536UL
#define DM_FAULT_AROUND		16
#define DM_MAX_DEPTH		16	/* max chain of forwarded regions */

/* ---- module parameters (limits) ---------------------------------------- */

static unsigned int max_regions_per_proc = 1024;
module_param(max_regions_per_proc, uint, 0644);
MODULE_PARM_DESC(max_regions_per_proc,
		 "Max registered+live regions charged to one process (tgid)");

static unsigned long max_bytes_per_proc = 4UL << 30;
module_param(max_bytes_per_proc, ulong, 0644);
MODULE_PARM_DESC(max_bytes_per_proc,
		 "Max bytes pinned on behalf of one process (tgid)");

static unsigned long max_region_bytes = 1UL << 30;
module_param(max_region_bytes, ulong, 0644);
MODULE_PARM_DESC(max_region_bytes, "Max size of one region (hard cap 64 GiB)");

/* ---- statistics ---------------------------------------------------------- */

static struct {
	atomic64_t regions, regions_live, pages_pinned, active_maps;
	atomic64_t registrations, rmaps, releases;
	atomic64_t denied_key, unknown_id, remote, limit_denials;
} st;

/* ---- data structures ----------------------------------------------------- */

struct dm_acct {			/* per-process (tgid) charge */
	struct list_head node;
	struct pid *tgid;
	unsigned long regions;
	u64 bytes;
};

struct dm_file;

struct dm_region {
	struct kref ref;
	struct hlist_node hnode;	/* dm_table, under dm_lock */
	struct list_head owner_node;	/* owner->owned, under dm_lock */
	struct dm_file *owner;		/* NULL once released */
	u64 id;
	u8 key[DMERGE_KEY_LEN];
	u32 handle;
	unsigned long nr_pages;
	u64 size;
	struct page **pages;
	struct dm_acct *acct;
	pid_t owner_tgid;		/* for debugfs only */
	/*
	 * Forwarded region (registered from a consumer's rmapped range):
	 * pages the consumer never wrote are borrowed from @parent (which we
	 * hold a reference on); pages it wrote (its COW copies) are pinned by
	 * us and marked in @owned.  For ordinary regions @owned is NULL and
	 * every page is pinned by us.
	 */
	struct dm_region *parent;
	unsigned long *owned;
	unsigned long nr_owned;
	unsigned int depth;
};

struct dm_grant {			/* lives on the RMAP ioctl's stack */
	struct list_head node;
	struct task_struct *task;
	struct dm_region *r;
	bool consumed;
};

struct dm_file {
	struct list_head owned;		/* regions registered via this fd */
	spinlock_t grant_lock;
	struct list_head grants;
};

static DEFINE_MUTEX(dm_lock);
static DEFINE_HASHTABLE(dm_table, 10);
static DEFINE_XARRAY_ALLOC1(dm_handles);
static u32 dm_next_handle;
static DEFINE_SPINLOCK(acct_lock);
static LIST_HEAD(acct_list);

static inline void dm_set_vm_flags(struct vm_area_struct *vma,
				   unsigned long set, unsigned long clear)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/* ---- per-process accounting ---------------------------------------------- */

static int dm_charge(struct dm_region *r)
{
	struct pid *tgid = get_task_pid(current, PIDTYPE_TGID);
	struct dm_acct *a, *fresh;
	int ret = 0;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	if (!fresh) {
		put_pid(tgid);
		return -ENOMEM;
	}
	spin_lock(&acct_lock);
	list_for_each_entry(a, &acct_list, node)
		if (a->tgid == tgid)
			goto found;
	a = fresh;
	fresh = NULL;
	a->tgid = tgid;
	tgid = NULL;		/* reference moved into the account */
	list_add(&a->node, &acct_list);
found:
	if (a->regions + 1 > max_regions_per_proc ||
	    a->bytes + r->size > max_bytes_per_proc) {
		ret = -EDQUOT;
		if (!a->regions) {	/* just created, drop it again */
			list_del(&a->node);
			fresh = a;
		}
	} else {
		a->regions++;
		a->bytes += r->size;
		r->acct = a;
	}
	spin_unlock(&acct_lock);
	if (fresh) {
		put_pid(fresh->tgid);
		kfree(fresh);
	}
	put_pid(tgid);
	return ret;
}

static void dm_uncharge(struct dm_region *r)
{
	struct dm_acct *a = r->acct, *dead = NULL;

	if (!a)
		return;
	spin_lock(&acct_lock);
	a->regions--;
	a->bytes -= r->size;
	if (!a->regions) {
		list_del(&a->node);
		dead = a;
	}
	spin_unlock(&acct_lock);
	if (dead) {
		put_pid(dead->tgid);
		kfree(dead);
	}
	r->acct = NULL;
}

/* ---- region lifetime ----------------------------------------------------- */

static void dm_region_free(struct kref *ref);

static inline void dm_region_put(struct dm_region *r)
{
	kref_put(&r->ref, dm_region_free);
}

static void dm_unpin_owned(struct dm_region *r, unsigned long nr)
{
	unsigned long i;

	if (!r->owned) {
		unpin_user_pages(r->pages, nr);
		return;
	}
	for_each_set_bit(i, r->owned, nr)
		unpin_user_page(r->pages[i]);
}

static void dm_region_free(struct kref *ref)
{
	struct dm_region *r = container_of(ref, struct dm_region, ref);
	struct dm_region *parent = r->parent;

	if (r->handle)
		xa_erase(&dm_handles, r->handle);
	dm_unpin_owned(r, r->nr_pages);
	dm_uncharge(r);
	atomic64_sub(r->nr_owned, &st.pages_pinned);
	atomic64_dec(&st.regions_live);
	kvfree(r->owned);
	kvfree(r->pages);
	kfree(r);
	if (parent)		/* depth is bounded by DM_MAX_DEPTH */
		dm_region_put(parent);
}

/* caller holds dm_lock */
static struct dm_region *dm_find(u64 id)
{
	struct dm_region *r;

	hash_for_each_possible(dm_table, r, hnode, id)
		if (r->id == id)
			return r;
	return NULL;
}

/*
 * The region registered under @id, if @key is its key; an ERR_PTR otherwise (-ENOENT for an
 * unknown id, -EACCES for a wrong key), counted in the statistics. Caller holds dm_lock.
 */
static struct dm_region *dm_find_keyed(u64 id, const u8 *key)
{
	struct dm_region *r = dm_find(id);

	if (!r) {
		atomic64_inc(&st.unknown_id);
		return ERR_PTR(-ENOENT);
	}
	if (crypto_memneq(r->key, key, DMERGE_KEY_LEN)) {
		atomic64_inc(&st.denied_key);
		return ERR_PTR(-EACCES);
	}
	return r;
}

/* caller holds dm_lock; the registry's reference must be put afterwards */
static void dm_unlink(struct dm_region *r)
{
	hash_del(&r->hnode);
	list_del_init(&r->owner_node);
	r->owner = NULL;
	atomic64_dec(&st.regions);
	atomic64_inc(&st.releases);
}

/* ---- node MAC ------------------------------------------------------------ */

static int dm_node_mac(struct dmerge_mac *m)
{
	struct net_device *dev, *best = NULL;

	memset(m, 0, sizeof(*m));
	rcu_read_lock();
	for_each_netdev_rcu(&init_net, dev) {
		if (dev->flags & IFF_LOOPBACK)
			continue;
		if (dev->addr_len != ETH_ALEN || !dev->dev_addr ||
		    is_zero_ether_addr(dev->dev_addr))
			continue;
		if (!best || dev->ifindex < best->ifindex)
			best = dev;
	}
	if (best) {
		ether_addr_copy(m->mac, best->dev_addr);
		m->ifindex = best->ifindex;
		strscpy(m->ifname, best->name, sizeof(m->ifname));
	}
	rcu_read_unlock();
	return best ? 0 : -ENODEV;
}

/* ---- VMA operations ------------------------------------------------------ */

static void dm_vm_open(struct vm_area_struct *vma)
{
	struct dm_region *r = vma->vm_private_data;

	kref_get(&r->ref);
	atomic64_inc(&st.active_maps);
}

static void dm_vm_close(struct vm_area_struct *vma)
{
	struct dm_region *r = vma->vm_private_data;

	atomic64_dec(&st.active_maps);
	dm_region_put(r);
}

static vm_fault_t dm_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct dm_region *r = vma->vm_private_data;
	unsigned long base = (unsigned long)r->handle << DM_PGOFF_SHIFT;
	unsigned long idx, addr, i;
	vm_fault_t ret;

	if (vmf->pgoff < base)
		return VM_FAULT_SIGBUS;
	idx = vmf->pgoff - base;
	if (idx >= r->nr_pages)
		return VM_FAULT_SIGBUS;

	addr = vmf->address & PAGE_MASK;
	ret = vmf_insert_mixed(vma, addr, page_to_pfn_t(r->pages[idx]));
	if (ret & VM_FAULT_ERROR)
		return ret;

	/* fault-around: populate a few following pages (never overwrites) */
	for (i = 1; i < DM_FAULT_AROUND; i++) {
		unsigned long a = addr + i * PAGE_SIZE;

		if (a >= vma->vm_end || idx + i >= r->nr_pages)
			break;
		if (vmf_insert_mixed(vma, a, page_to_pfn_t(r->pages[idx + i])) &
		    VM_FAULT_ERROR)
			break;
	}
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct dm_vm_ops = {
	.open	= dm_vm_open,
	.close	= dm_vm_close,
	.fault	= dm_vm_fault,
};

/*
 * Only mappings created by the RMAP ioctl itself (via vm_mmap()) are
 * accepted: they carry a grant for (current task, region).
 */
static int dm_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct dm_file *f = file->private_data;
	unsigned long handle = vma->vm_pgoff >> DM_PGOFF_SHIFT;
	unsigned long off = vma->vm_pgoff & ((1UL << DM_PGOFF_SHIFT) - 1);
	struct dm_grant *g, *found = NULL;
	struct dm_region *r;

	spin_lock(&f->grant_lock);
	list_for_each_entry(g, &f->grants, node) {
		if (g->task == current && g->r->handle == handle) {
			found = g;
			list_del_init(&g->node);
			g->consumed = true;
			break;
		}
	}
	spin_unlock(&f->grant_lock);
	if (!found)
		return -EACCES;
	r = found->r;

	if (off + vma_pages(vma) > r->nr_pages)
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (vma->vm_flags & VM_MAYSHARE) {
		/* shared mappings are read-only, forever */
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		dm_set_vm_flags(vma, 0, VM_MAYWRITE);
	}
	dm_set_vm_flags(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP,
			VM_MAYEXEC);
	vma->vm_ops = &dm_vm_ops;
	vma->vm_private_data = r;
	kref_get(&r->ref);
	atomic64_inc(&st.active_maps);
	return 0;
}

/* ---- ioctls -------------------------------------------------------------- */

static long dm_pin_one_locked(unsigned long addr, struct page **page)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return pin_user_pages(addr, 1, FOLL_LONGTERM, page);
#else
	return pin_user_pages(addr, 1, FOLL_LONGTERM, page, NULL);
#endif
}

/*
 * REGISTER of a range inside one of our own consumer mappings (forwarding
 * without a copy).  Called with mmap_read_lock held.  Pages still mapped
 * through special PTEs (or not faulted yet) are the source region's pages:
 * GUP refuses them (-EEXIST on 6.1, -EFAULT on others) and we borrow them.  Pages the consumer
 * wrote are ordinary anon COW copies: we pin those.  Read-only pins only,
 * so nothing gets copied here.
 */
static long dm_pin_forward(struct dm_region *r, struct vm_area_struct *vma,
			   unsigned long start)
{
	struct dm_region *src = vma->vm_private_data;
	unsigned long base, i, nr = r->nr_pages;
	long ret;

	if (start + r->size > vma->vm_end)
		return -EINVAL;	/* must lie within one dmerge mapping */
	base = vma->vm_pgoff + ((start - vma->vm_start) >> PAGE_SHIFT) -
	       ((unsigned long)src->handle << DM_PGOFF_SHIFT);
	if (base + nr > src->nr_pages)
		return -EINVAL;
	if (src->depth >= DM_MAX_DEPTH)
		return -ELOOP;
	r->owned = kvcalloc(BITS_TO_LONGS(nr), sizeof(unsigned long),
			    GFP_KERNEL);
	if (!r->owned)
		return -ENOMEM;

	for (i = 0; i < nr; i++) {
		struct page *pg;

		ret = dm_pin_one_locked(start + i * PAGE_SIZE, &pg);
		if (ret == 1) {
			r->pages[i] = pg;
			__set_bit(i, r->owned);
			r->nr_owned++;
		} else if (ret == -EEXIST || ret == -EFAULT) {
			/* special PTE: "no struct page" for GUP */
			r->pages[i] = src->pages[base + i];
		} else {
			dm_unpin_owned(r, i);
			return ret ? ret : -EFAULT;
		}
		if (fatal_signal_pending(current)) {
			dm_unpin_owned(r, i + 1);
			return -EINTR;
		}
	}
	kref_get(&src->ref);
	r->parent = src;
	r->depth = src->depth + 1;
	return 0;
}

static long dm_ioc_register(struct dm_file *f, void __user *uarg)
{
	struct vm_area_struct *vma;
	struct dmerge_register a;
	struct dm_region *r;
	unsigned long nr, pinned = 0;
	unsigned int gup = FOLL_LONGTERM | FOLL_WRITE;
	long ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags)
		return -EINVAL;
	if (!a.vm_start || (a.vm_start & ~PAGE_MASK) || (a.vm_end & ~PAGE_MASK) ||
	    a.vm_end <= a.vm_start)
		return -EINVAL;
	if (a.vm_end - a.vm_start > max_region_bytes ||
	    a.vm_end - a.vm_start > DM_HARD_MAX_BYTES) {
		atomic64_inc(&st.limit_denials);
		return -E2BIG;
	}
	if (!access_ok((void __user *)(unsigned long)a.vm_start,
		       a.vm_end - a.vm_start))
		return -EFAULT;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	kref_init(&r->ref);
	INIT_HLIST_NODE(&r->hnode);
	INIT_LIST_HEAD(&r->owner_node);
	r->id = a.id;
	memcpy(r->key, a.key, DMERGE_KEY_LEN);
	r->size = a.vm_end - a.vm_start;
	r->nr_pages = nr = r->size >> PAGE_SHIFT;
	r->owner_tgid = task_tgid_nr(current);

	ret = dm_charge(r);
	if (ret) {
		atomic64_inc(&st.limit_denials);
		kfree(r);
		return ret;
	}
	r->pages = kvmalloc_array(nr, sizeof(*r->pages), GFP_KERNEL);
	if (!r->pages) {
		ret = -ENOMEM;
		goto err_uncharge;
	}

	if (mmap_read_lock_killable(current->mm)) {
		ret = -EINTR;
		goto err_free_pages;
	}
	vma = vma_lookup(current->mm, a.vm_start);
	if (vma && vma->vm_ops == &dm_vm_ops) {
		ret = dm_pin_forward(r, vma, a.vm_start);
		mmap_read_unlock(current->mm);
		if (ret)
			goto err_free_pages;
		goto pinned_ok;
	}
	mmap_read_unlock(current->mm);

retry:
	while (pinned < nr) {
		int want = min(nr - pinned, DM_PIN_CHUNK);

		ret = pin_user_pages_fast(a.vm_start + pinned * PAGE_SIZE, want,
					  gup, r->pages + pinned);
		if (ret <= 0) {
			/* -EEXIST: a PTE without struct page (e.g. a dmerge
			 * mapping not at vm_start): not "id exists" */
			if (!ret || ret == -EEXIST)
				ret = -EFAULT;
			unpin_user_pages(r->pages, pinned);
			pinned = 0;
			/* read-only producer memory: pin without FOLL_WRITE */
			if (ret == -EFAULT && (gup & FOLL_WRITE)) {
				gup &= ~FOLL_WRITE;
				goto retry;
			}
			goto err_free_pages;
		}
		pinned += ret;
		cond_resched();
	}
	r->nr_owned = nr;
pinned_ok:
	atomic64_add(r->nr_owned, &st.pages_pinned);
	atomic64_inc(&st.regions_live);

	ret = xa_alloc_cyclic(&dm_handles, &r->handle, r,
			      XA_LIMIT(1, DM_MAX_HANDLE), &dm_next_handle,
			      GFP_KERNEL);
	if (ret < 0) {
		r->handle = 0;
		dm_region_put(r);
		return ret;
	}

	mutex_lock(&dm_lock);
	if (dm_find(a.id)) {
		mutex_unlock(&dm_lock);
		dm_region_put(r);
		return -EEXIST;
	}
	hash_add(dm_table, &r->hnode, r->id);
	list_add_tail(&r->owner_node, &f->owned);
	r->owner = f;
	atomic64_inc(&st.regions);
	atomic64_inc(&st.registrations);
	mutex_unlock(&dm_lock);

	a.size = r->size;
	a.nr_pages = r->nr_pages;
	a.handle = r->handle;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		bool unlinked = false;

		mutex_lock(&dm_lock);
		if (r->owner == f) {
			dm_unlink(r);
			unlinked = true;
		}
		mutex_unlock(&dm_lock);
		if (unlinked)
			dm_region_put(r);
		return -EFAULT;
	}
	return 0;

err_free_pages:
	kvfree(r->owned);
	kvfree(r->pages);
err_uncharge:
	dm_uncharge(r);
	kfree(r);
	return ret;
}

static long dm_ioc_rmap(struct file *file, struct dm_file *f, void __user *uarg)
{
	struct dmerge_rmap a;
	struct dmerge_mac node;
	struct dm_region *r;
	struct dm_grant g;
	unsigned long len, prot, flags, addr;
	long ret = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~DMERGE_RMAP_READONLY)
		return -EINVAL;
	if (!is_zero_ether_addr(a.mac)) {
		if (dm_node_mac(&node) || !ether_addr_equal(node.mac, a.mac)) {
			atomic64_inc(&st.remote);
			return -EREMOTE;
		}
	}
	if ((a.vm_start & ~PAGE_MASK) || (a.vm_end & ~PAGE_MASK) ||
	    (a.vm_end && a.vm_end <= a.vm_start))
		return -EINVAL;

	mutex_lock(&dm_lock);
	r = dm_find_keyed(a.id, a.key);
	if (IS_ERR(r)) {
		mutex_unlock(&dm_lock);
		return PTR_ERR(r);
	}
	kref_get(&r->ref);
	mutex_unlock(&dm_lock);

	len = a.vm_end ? a.vm_end - a.vm_start : r->size;
	if (len > r->size) {
		ret = -EINVAL;
		goto out;
	}

	g.task = current;
	g.r = r;
	g.consumed = false;
	spin_lock(&f->grant_lock);
	list_add(&g.node, &f->grants);
	spin_unlock(&f->grant_lock);

	if (a.flags & DMERGE_RMAP_READONLY) {
		prot = PROT_READ;
		flags = MAP_SHARED;
	} else {
		prot = PROT_READ | PROT_WRITE;
		flags = MAP_PRIVATE;
	}
	if (a.vm_start)
		flags |= MAP_FIXED;
	addr = vm_mmap(file, a.vm_start, len, prot, flags,
		       (unsigned long)r->handle << DMERGE_OFF_SHIFT);

	spin_lock(&f->grant_lock);
	if (!g.consumed)
		list_del(&g.node);
	spin_unlock(&f->grant_lock);

	if (IS_ERR_VALUE(addr)) {
		ret = (long)addr;
		goto out;
	}
	a.addr = addr;
	a.len = len;
	a.size = r->size;
	a.nr_pages = r->nr_pages;
	a.handle = r->handle;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		vm_munmap(addr, len);
		ret = -EFAULT;
		goto out;
	}
	atomic64_inc(&st.rmaps);
out:
	dm_region_put(r);
	return ret;
}

static long dm_ioc_release(struct dm_file *f, void __user *uarg)
{
	struct dmerge_release a;
	struct dm_region *r;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags)
		return -EINVAL;
	mutex_lock(&dm_lock);
	r = dm_find_keyed(a.id, a.key);
	if (IS_ERR(r)) {
		mutex_unlock(&dm_lock);
		return PTR_ERR(r);
	}
	if (r->owner != f) {
		mutex_unlock(&dm_lock);
		return -EPERM;
	}
	dm_unlink(r);
	mutex_unlock(&dm_lock);
	dm_region_put(r);
	return 0;
}

static void dm_fill_stats(struct dmerge_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->regions = atomic64_read(&st.regions);
	s->regions_live = atomic64_read(&st.regions_live);
	s->pages_pinned = atomic64_read(&st.pages_pinned);
	s->bytes_pinned = s->pages_pinned << PAGE_SHIFT;
	s->active_maps = atomic64_read(&st.active_maps);
	s->registrations = atomic64_read(&st.registrations);
	s->rmaps = atomic64_read(&st.rmaps);
	s->releases = atomic64_read(&st.releases);
	s->denied_key = atomic64_read(&st.denied_key);
	s->unknown_id = atomic64_read(&st.unknown_id);
	s->remote = atomic64_read(&st.remote);
	s->limit_denials = atomic64_read(&st.limit_denials);
}

static long dm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dm_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case DMERGE_IOC_QUERY_MAC: {
		struct dmerge_mac m;
		int ret = dm_node_mac(&m);

		if (ret)
			return ret;
		return copy_to_user(uarg, &m, sizeof(m)) ? -EFAULT : 0;
	}
	case DMERGE_IOC_REGISTER:
		return dm_ioc_register(f, uarg);
	case DMERGE_IOC_RMAP:
		return dm_ioc_rmap(file, f, uarg);
	case DMERGE_IOC_RELEASE:
		return dm_ioc_release(f, uarg);
	case DMERGE_IOC_STATS: {
		struct dmerge_stats s;

		dm_fill_stats(&s);
		return copy_to_user(uarg, &s, sizeof(s)) ? -EFAULT : 0;
	}
	default:
		return -ENOTTY;
	}
}

static int dm_open(struct inode *inode, struct file *file)
{
	struct dm_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	INIT_LIST_HEAD(&f->owned);
	INIT_LIST_HEAD(&f->grants);
	spin_lock_init(&f->grant_lock);
	file->private_data = f;
	return 0;
}

/* last close of the producer's descriptor (also on crash): release all */
static int dm_release(struct inode *inode, struct file *file)
{
	struct dm_file *f = file->private_data;
	struct dm_region *r, *n;
	LIST_HEAD(dead);

	mutex_lock(&dm_lock);
	list_for_each_entry_safe(r, n, &f->owned, owner_node) {
		dm_unlink(r);
		list_add_tail(&r->owner_node, &dead);
	}
	mutex_unlock(&dm_lock);
	list_for_each_entry_safe(r, n, &dead, owner_node) {
		list_del_init(&r->owner_node);
		dm_region_put(r);
	}
	WARN_ON(!list_empty(&f->grants));
	kfree(f);
	return 0;
}

static const struct file_operations dm_fops = {
	.owner		= THIS_MODULE,
	.open		= dm_open,
	.release	= dm_release,
	.unlocked_ioctl	= dm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= dm_mmap,
	.llseek		= noop_llseek,
};

/* ---- sysfs: /sys/class/misc/dmerge/<counter> and .../stats --------------- */

#define DM_STAT_ATTR(name)						\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct dmerge_stats s;						\
	dm_fill_stats(&s);						\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)s.name);	\
}									\
static DEVICE_ATTR_RO(name)

DM_STAT_ATTR(regions);
DM_STAT_ATTR(regions_live);
DM_STAT_ATTR(pages_pinned);
DM_STAT_ATTR(bytes_pinned);
DM_STAT_ATTR(active_maps);
DM_STAT_ATTR(registrations);
DM_STAT_ATTR(rmaps);
DM_STAT_ATTR(releases);
DM_STAT_ATTR(denied_key);
DM_STAT_ATTR(unknown_id);
DM_STAT_ATTR(remote);
DM_STAT_ATTR(limit_denials);

static ssize_t stats_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct dmerge_stats s;

	dm_fill_stats(&s);
	return sysfs_emit(buf,
		"regions %llu\nregions_live %llu\npages_pinned %llu\n"
		"bytes_pinned %llu\nactive_maps %llu\nregistrations %llu\n"
		"rmaps %llu\nreleases %llu\ndenied_key %llu\nunknown_id %llu\n"
		"remote %llu\nlimit_denials %llu\n",
		s.regions, s.regions_live, s.pages_pinned, s.bytes_pinned,
		s.active_maps, s.registrations, s.rmaps, s.releases,
		s.denied_key, s.unknown_id, s.remote, s.limit_denials);
}
static DEVICE_ATTR_RO(stats);

static struct attribute *dm_attrs[] = {
	&dev_attr_stats.attr,
	&dev_attr_regions.attr,
	&dev_attr_regions_live.attr,
	&dev_attr_pages_pinned.attr,
	&dev_attr_bytes_pinned.attr,
	&dev_attr_active_maps.attr,
	&dev_attr_registrations.attr,
	&dev_attr_rmaps.attr,
	&dev_attr_releases.attr,
	&dev_attr_denied_key.attr,
	&dev_attr_unknown_id.attr,
	&dev_attr_remote.attr,
	&dev_attr_limit_denials.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dm);

/* ---- debugfs: /sys/kernel/debug/dmerge/regions ------------------------- */

static struct dentry *dm_debugfs;

static int dm_regions_show(struct seq_file *m, void *v)
{
	struct dm_region *r;
	unsigned long idx;

	seq_puts(m, "handle id size nr_pages refs registered owner_tgid parent owned_pages\n");
	/* dm_region_free() erases under xa_lock before freeing: r stays valid */
	xa_lock(&dm_handles);
	xa_for_each(&dm_handles, idx, r)
		seq_printf(m, "%u %llu %llu %lu %u %d %d %u %lu\n", r->handle,
			   r->id, r->size, r->nr_pages, kref_read(&r->ref),
			   READ_ONCE(r->owner) != NULL, r->owner_tgid,
			   r->parent ? r->parent->handle : 0, r->nr_owned);
	xa_unlock(&dm_handles);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dm_regions);

static struct miscdevice dm_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "dmerge",
	.fops	= &dm_fops,
	.mode	= 0666,
	.groups	= dm_groups,
};

static int __init dm_init(void)
{
	int ret = misc_register(&dm_misc);

	if (ret)
		return ret;
	dm_debugfs = debugfs_create_dir("dmerge", NULL);
	debugfs_create_file("regions", 0400, dm_debugfs, NULL, &dm_regions_fops);
	pr_info("loaded (/dev/%s)\n", dm_misc.name);
	return 0;
}

static void __exit dm_exit(void)
{
	/* module refcount (fops owner) guarantees no open fds / mappings */
	debugfs_remove_recursive(dm_debugfs);
	misc_deregister(&dm_misc);
	WARN_ON(!xa_empty(&dm_handles));
	pr_info("unloaded\n");
}

module_init(dm_init);
module_exit(dm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Dmerge: zero-copy register_mem/rmap between processes");
MODULE_VERSION("0.1");
