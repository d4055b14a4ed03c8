package io.dmerge.shuffle.shm;

import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.RegionBuffer;
import io.dmerge.shuffle.RegionMeta;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Dmerge over shared memory on one node: regions are files in a per-job directory on a tmpfs
 * (default {@code /dev/shm/dmerge}), consumers map them read-only, so producer and consumer share
 * the same physical pages. When the job's registered bytes reach the memory budget, new regions go
 * to a disk-backed spill directory instead, still mapped.
 *
 * <p>The registry is the {@link RegionDirectory}; this class only decides where bytes live.
 */
public final class ShmDmerge implements Dmerge {
  /** Free space below which new regions spill: two 64 MiB mapping windows, the unit a region grows by. */
  static final long MIN_FREE_BYTES = 128L << 20;

  private final String node;
  private final RegionDirectory memory;
  private final RegionDirectory spill;
  private final long memoryBudget;
  private final boolean owner;
  private boolean closed;

  private ShmDmerge(String node, RegionDirectory memory, RegionDirectory spill, long memoryBudget, boolean owner) {
    this.node = node;
    this.memory = memory;
    this.spill = spill;
    this.memoryBudget = memoryBudget;
    this.owner = owner;
  }

  /**
   * The default cap on the pool of released region files kept for reuse: a quarter of the memory
   * budget. The pool's pages count toward the budget (see {@link #allocate}).
   */
  public static long defaultPoolCap(long memoryBudget) {
    return memoryBudget / 4;
  }

  /**
   * Opens a job's region space as its owner (the driver): reclaims orphans of dead drivers first,
   * and deletes the job's regions on {@link #close()}.
   */
  public static ShmDmerge create(ShmConfig config) {
    return create(config, defaultPoolCap(config.memoryBudget()));
  }

  /**
   * As {@link #create(ShmConfig)}, with released region files pooled for reuse while the pool
   * holds at most {@code poolCap} bytes (0: never pool, unlink as released). The cap is applied
   * by the process that releases.
   */
  public static ShmDmerge create(ShmConfig config, long poolCap) {
    RegionDirectory.reclaimOrphans(config.memoryRoot());
    RegionDirectory.reclaimOrphans(config.spillRoot());
    return createOwned(config, poolCap, RegionDirectory.thisProcess());
  }

  /**
   * Opens a job's region space on this node as a node agent does for a driver on another node:
   * as {@link #create(ShmConfig)}, but the owner file names the agent, not a pid (a pid means
   * nothing in another pid namespace), so no pid-based reclaim ever deletes it, and no orphans are
   * reclaimed here. The agent closes it when the driver's hold ends; {@link #reclaimHeld} deletes
   * what an agent that died left behind.
   */
  public static ShmDmerge createHeld(ShmConfig config) {
    return createOwned(config, defaultPoolCap(config.memoryBudget()), RegionDirectory.AGENT_OWNER);
  }

  /** Deletes every job directory under the roots that a node agent held (see {@link #createHeld}). */
  public static void reclaimHeld(Path memoryRoot, Path spillRoot) {
    RegionDirectory.reclaimHeld(memoryRoot);
    RegionDirectory.reclaimHeld(spillRoot);
  }

  /** The job's two directories, created with {@code owner} in their owner files. */
  private static ShmDmerge createOwned(ShmConfig config, long poolCap, String owner) {
    RegionDirectory memory = RegionDirectory.create(config.memoryRoot(), config.jobId(), owner, true, poolCap);
    RegionDirectory spill;
    try {
      spill = RegionDirectory.create(config.spillRoot(), config.jobId(), owner, false, 0);
    } catch (RuntimeException e) {
      memory.deleteAll();
      throw e;
    }
    return new ShmDmerge(config.node(), memory, spill, config.memoryBudget(), true);
  }

  /** Joins an existing job's region space from a worker; closing does not delete the job's regions. */
  public static ShmDmerge attach(ShmConfig config) {
    return attach(config, defaultPoolCap(config.memoryBudget()));
  }

  /** As {@link #attach(ShmConfig)}, with the pool cap this process applies when it releases. */
  public static ShmDmerge attach(ShmConfig config, long poolCap) {
    return new ShmDmerge(
        config.node(),
        RegionDirectory.attach(config.memoryRoot(), config.jobId(), true, poolCap),
        RegionDirectory.attach(config.spillRoot(), config.jobId(), false, 0),
        config.memoryBudget(),
        false);
  }

  @Override
  public String node() {
    return node;
  }

  /**
   * A pooled file if there is one (its pages are already there, so it does not grow the memory in
   * use, whatever the budget); else a new file in the memory directory while the memory in use
   * (regions plus pool) is under the budget; else a new file in the spill directory.
   */
  @Override
  public RegionBuffer allocate(String id) {
    memory.cache().maybeSweep();
    RegionBuffer claimed = memory.claim(id);
    if (claimed != null) {
      return claimed;
    }
    boolean overBudget = memory.bytesInUse() + memory.pooledBytes() >= memoryBudget;
    return (overBudget || !memoryHasRoom() ? spill : memory).newBuffer(id);
  }

  /**
   * Whether the memory directory's file system can still take a full window. A write into a
   * mapped tmpfs page that the file system cannot supply raises SIGBUS, not an I/O error, so a
   * nearly full tmpfs (a container's small /dev/shm, say) sends new regions to the spill directory.
   */
  private boolean memoryHasRoom() {
    try {
      return Files.getFileStore(memory.path()).getUsableSpace() >= MIN_FREE_BYTES;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public RegionMeta register(RegionBuffer region, AccessKey key) {
    RegionDirectory dir = memory.holds(region) ? memory : spill;
    return dir.register(node, region, key);
  }

  @Override
  public MappedRegion rmap(RegionMeta meta, AccessKey key) {
    if (!node.equals(meta.node())) {
      throw new DmergeException(
          "region " + meta.id() + " lives on node " + meta.node() + ", not on " + node
              + "; remote rmap needs the node agent transport");
    }
    if (memory.isRegistered(meta.id())) {
      memory.cache().maybeSweep();
      return memory.rmap(meta, key);
    }
    if (spill.isRegistered(meta.id())) {
      return spill.rmap(meta, key);
    }
    throw new DmergeException.UnknownRegion(meta.id(), memory.path() + " or " + spill.path());
  }

  @Override
  public void release(String id) {
    memory.release(id);
    spill.release(id);
  }

  @Override
  public long registeredBytes() {
    return memory.bytesInUse() + spill.bytesInUse();
  }

  /** Whether {@code buffer} lives in the memory-backed directory (not spilled to disk). */
  public boolean inMemory(RegionBuffer buffer) {
    return memory.holds(buffer);
  }

  /**
   * The size recorded when {@code id} was registered, or -1 if it is not registered (never, not
   * yet, or released). Lets another transport that maps the region itself report its exact size.
   */
  public long registeredSize(String id) {
    long size = memory.registeredSize(id);
    return size >= 0 ? size : spill.registeredSize(id);
  }

  /**
   * Bytes held by regions in the memory-backed directory (the pages of their files: a recycled
   * file counts the pages of its largest use); the rest went to the spill directory. Released
   * files kept for reuse are not included: see {@link #pooledBytes()}.
   */
  public long memoryBytes() {
    return memory.bytesInUse();
  }

  /** Bytes of memory held by released region files pooled for reuse. */
  public long pooledBytes() {
    return memory.pooledBytes();
  }

  /** Region files whose window mappings this instance keeps (in use or cached for reuse). */
  public int cachedFiles() {
    return memory.cache().files();
  }

  /**
   * Drops cached mappings of files that another process unlinked (this runs by itself at most
   * once a second, from {@link #allocate} and {@link #rmap}).
   */
  public void sweepMappings() {
    memory.cache().sweep();
  }

  /**
   * Unmaps every mapping this instance cached (mappings a {@link MappedRegion} still uses go when
   * it is closed); the owner also deletes both job directories, pool included.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    memory.closeCache();
    if (owner) {
      memory.deleteAll();
      spill.deleteAll();
    }
  }

  /**
   * Deletes a job directory. It is renamed away first: a worker of the job that is still running
   * (killed, not yet dead) could otherwise create a file in it while the tree is walked, and the
   * directory would survive; under the new name, no path of the job leads into it.
   */
  static void deleteTree(Path dir) {
    Path doomed;
    try {
      doomed = Files.move(dir, dir.resolveSibling(".deleting-" + dir.getFileName()), StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      doomed = dir; // e.g. a deletion that died left that name behind: delete in place
    }
    try (var paths = Files.walk(doomed)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (NoSuchFileException e) {
      // deleted meanwhile by another reclaimer
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
