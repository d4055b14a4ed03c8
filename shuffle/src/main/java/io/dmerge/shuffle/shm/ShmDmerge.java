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
import java.nio.file.Path;

/**
 * Dmerge over shared memory on one node: regions are files in a per-job directory on a tmpfs
 * (default {@code /dev/shm/dmerge}), consumers map them read-only, so producer and consumer share
 * the same physical pages. When the job's registered bytes reach the memory budget, new regions go
 * to a disk-backed spill directory instead, still mapped.
 *
 * <p>The registry is the {@link RegionDirectory}; this class only decides where bytes live.
 */
public final class ShmDmerge implements Dmerge {
  private final String node;
  private final RegionDirectory memory;
  private final RegionDirectory spill;
  private final long memoryBudget;
  private final boolean owner;

  private ShmDmerge(String node, RegionDirectory memory, RegionDirectory spill, long memoryBudget, boolean owner) {
    this.node = node;
    this.memory = memory;
    this.spill = spill;
    this.memoryBudget = memoryBudget;
    this.owner = owner;
  }

  /**
   * Opens a job's region space as its owner (the driver): reclaims orphans of dead drivers first,
   * and deletes the job's regions on {@link #close()}.
   */
  public static ShmDmerge create(ShmConfig config) {
    RegionDirectory.reclaimOrphans(config.memoryRoot());
    RegionDirectory.reclaimOrphans(config.spillRoot());
    return new ShmDmerge(
        config.node(),
        RegionDirectory.create(config.memoryRoot(), config.jobId()),
        RegionDirectory.create(config.spillRoot(), config.jobId()),
        config.memoryBudget(),
        true);
  }

  /** Joins an existing job's region space from a worker; closing does not delete the job's regions. */
  public static ShmDmerge attach(ShmConfig config) {
    return new ShmDmerge(
        config.node(),
        RegionDirectory.attach(config.memoryRoot(), config.jobId()),
        RegionDirectory.attach(config.spillRoot(), config.jobId()),
        config.memoryBudget(),
        false);
  }

  @Override
  public String node() {
    return node;
  }

  @Override
  public RegionBuffer allocate(String id) {
    RegionDirectory target = memory.bytesInUse() >= memoryBudget ? spill : memory;
    return target.newBuffer(id);
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

  /** Bytes held in the memory-backed directory; the rest went to the spill directory. */
  public long memoryBytes() {
    return memory.bytesInUse();
  }

  @Override
  public void close() {
    if (owner) {
      memory.deleteAll();
      spill.deleteAll();
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
