package io.dmerge.shuffle.kmod;

import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.RegionBuffer;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.posix.AddressMapping;
import io.dmerge.shuffle.posix.LibC;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dmerge through the kernel module ({@code /dev/dmerge}, see {@code kmod/README.md}).
 *
 * <p>Producer pages are the same as with {@link ShmDmerge}: a {@link RegionBuffer} file in the
 * job's tmpfs directory, which this class also uses as its registry (meta files, budget, spill,
 * cleanup), so both transports read each other's regions. What the module adds:
 *
 * <ul>
 *   <li><b>register</b> seals the buffer, maps the file read-only, REGISTERs that range under the
 *       kernel id {@link #kernelId(String, String)} and the access key (the module pins the tmpfs
 *       pages), unmaps it again, then publishes the meta file. Regions are registered through this
 *       instance's producer descriptor, which stays open until {@link #close()}: the module
 *       releases them when it closes, also when the process dies.
 *   <li><b>rmap</b> asks the module (RMAP, read-only shared mapping through a second, consumer
 *       descriptor) and wraps the returned address in a {@link MappedRegion}; the module checks the
 *       key ({@code EACCES} → {@link DmergeException.AccessDenied}). Only when the module does not
 *       know the id ({@code ENOENT}) does it fall back to the file registry: a spilled region, an
 *       empty one, one refused by a module limit, or one whose producer process has exited (regions
 *       belong to the job, as with ShmDmerge). An id in neither is {@link
 *       DmergeException.UnknownRegion}.
 *   <li><b>release</b> RELEASEs the kernel registration if this process made it, then deletes the
 *       files. A release made by another process only deletes the files; the producer notices it
 *       on its next {@code allocate} (at most once a second) and RELEASEs its registration then.
 * </ul>
 *
 * <p>Kernel ids are node-wide u64s; {@link #kernelId} derives them from (job id, region id) with
 * SHA-256. A REGISTER that finds the id taken ({@code EEXIST}: a hash collision, or the same
 * region id registered again while another process still holds the old registration) fails with a
 * {@link DmergeException} naming both ids, and the region's file is deleted.
 */
public final class KmodDmerge implements Dmerge {
  private static final Logger LOG = LoggerFactory.getLogger(KmodDmerge.class);
  private static final long REAP_INTERVAL_NANOS = 1_000_000_000L;

  private final ShmConfig config;
  private final ShmDmerge files;
  private final DmergeDevice producer;
  private final DmergeDevice consumer;
  private final long pageSize;
  /** Kernel registrations made through {@link #producer}, by region id. */
  private final Map<String, AccessKey> owned = new ConcurrentHashMap<>();
  private final AtomicLong kernelRegistrations = new AtomicLong();
  private final AtomicLong fileOnlyRegistrations = new AtomicLong();
  private final AtomicLong kernelRmaps = new AtomicLong();
  private final AtomicLong fileRmaps = new AtomicLong();
  private volatile long lastReap = System.nanoTime();
  private volatile boolean closed;

  private KmodDmerge(ShmConfig config, ShmDmerge files, DmergeDevice producer, DmergeDevice consumer) {
    this.config = config;
    this.files = files;
    this.producer = producer;
    this.consumer = consumer;
    long ps = LibC.INSTANCE.sysconf(LibC._SC_PAGESIZE);
    this.pageSize = ps > 0 ? ps : 4096;
  }

  /** Opens the job as its owner (like {@link ShmDmerge#create}) with the module at {@code device}. */
  public static KmodDmerge create(ShmConfig config, Path device) {
    return open(config, device, true);
  }

  /** Joins the job from a worker (like {@link ShmDmerge#attach}) with the module at {@code device}. */
  public static KmodDmerge attach(ShmConfig config, Path device) {
    return open(config, device, false);
  }

  private static KmodDmerge open(ShmConfig config, Path device, boolean owner) {
    DmergeDevice producer = DmergeDevice.open(device);
    DmergeDevice consumer = null;
    try {
      producer.stats(); // a device that is not the dmerge module fails here (ENOTTY)
      consumer = DmergeDevice.open(device);
      ShmDmerge files = owner ? ShmDmerge.create(config) : ShmDmerge.attach(config);
      return new KmodDmerge(config, files, producer, consumer);
    } catch (RuntimeException | Error e) {
      producer.close();
      if (consumer != null) {
        consumer.close();
      }
      throw e;
    }
  }

  /**
   * The module's u64 id for a region: the first 8 bytes (big endian) of SHA-256 over
   * {@code "dmerge-kmod-id\0" + jobId + "\0" + regionId} (UTF-8). Deterministic, so every process
   * of the job computes it from the {@link RegionMeta} alone; distinct across jobs on the node.
   */
  public static long kernelId(String jobId, String regionId) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(("dmerge-kmod-id\0" + jobId + "\0" + regionId).getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(d.digest()).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String node() {
    return config.node();
  }

  /** The module's device file. */
  public Path device() {
    return producer.path();
  }

  @Override
  public RegionBuffer allocate(String id) {
    checkOpen();
    long now = System.nanoTime();
    if (now - lastReap > REAP_INTERVAL_NANOS) {
      lastReap = now;
      reapReleasedElsewhere();
    }
    return files.allocate(id);
  }

  @Override
  public RegionMeta register(RegionBuffer region, AccessKey key) {
    checkOpen();
    region.seal();
    String id = region.id();
    long size = region.size();
    boolean kernel = false;
    if (size > 0 && files.inMemory(region)) {
      kernel = registerWithModule(region, key);
    }
    RegionMeta meta;
    try {
      meta = files.register(region, key);
    } catch (RuntimeException e) {
      if (kernel) {
        releaseQuietly(id, key);
      }
      throw e;
    }
    if (kernel) {
      owned.put(id, key);
      kernelRegistrations.incrementAndGet();
    } else {
      fileOnlyRegistrations.incrementAndGet();
    }
    return meta;
  }

  /** Maps the sealed file read-only, REGISTERs it, unmaps it (the module keeps the pages pinned). */
  private boolean registerWithModule(RegionBuffer region, AccessKey key) {
    String id = region.id();
    long kid = kernelId(config.jobId(), id);
    long length = (region.size() + pageSize - 1) / pageSize * pageSize;
    Path file = region.file();
    // Bytes allocated but never written leave the file shorter than the region (sealing only
    // truncates). Pages past the end of a file cannot be pinned (EFAULT): extend it, sparse.
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      if (raf.length() < region.size()) {
        raf.setLength(region.size());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open region file " + file + " to register region " + id, e);
    }
    AddressMapping mapped;
    try {
      mapped = AddressMapping.mapFile(file, length);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot map region file " + file + " to register region " + id, e);
    }
    try {
      long start = mapped.address();
      producer.register(kid, key, start, start + length);
      return true;
    } catch (KmodException e) {
      switch (e.errno()) {
        case Errno.EEXIST -> {
          deleteQuietly(file);
          throw new DmergeException(
              "cannot register region '" + id + "' of job '" + config.jobId() + "' with " + producer.path()
                  + ": kernel id 0x" + Long.toHexString(kid) + " is already registered on this node (EEXIST): "
                  + "either a 64-bit hash collision with another job's region, or this region id was "
                  + "registered again while another process still holds its earlier registration; "
                  + "use a fresh region id",
              e);
        }
        case Errno.E2BIG, Errno.EDQUOT -> {
          // A module limit (max_region_bytes / per-process quota): the region still works,
          // through the file registry, as a ShmDmerge region.
          LOG.warn("region {} ({} bytes) not registered with {} ({}); consumers map its file instead",
              id, region.size(), producer.path(), Errno.name(e.errno()));
          return false;
        }
        default -> throw e;
      }
    } finally {
      mapped.close();
    }
  }

  @Override
  public MappedRegion rmap(RegionMeta meta, AccessKey key) {
    checkOpen();
    if (!config.node().equals(meta.node())) {
      throw new DmergeException(
          "region " + meta.id() + " lives on node " + meta.node() + ", not on " + config.node()
              + "; remote rmap needs the node agent transport");
    }
    long kid = kernelId(config.jobId(), meta.id());
    DmergeDevice.Rmapped r;
    try {
      r = consumer.rmap(kid, key, DmergeDevice.RMAP_READONLY);
    } catch (KmodException e) {
      switch (e.errno()) {
        case Errno.EACCES -> throw new DmergeException.AccessDenied(meta.id());
        case Errno.ENOENT -> {
          // Not (or no longer) in the module: spilled, empty, over a module limit, or its
          // producer exited. The file registry decides (UnknownRegion if it does not have it).
          MappedRegion region = files.rmap(meta, key);
          fileRmaps.incrementAndGet();
          return region;
        }
        default -> throw e;
      }
    }
    AddressMapping mapping = new AddressMapping(r.addr(), r.len());
    long size;
    try {
      size = files.registeredSize(meta.id());
    } catch (RuntimeException e) {
      mapping.close();
      throw e;
    }
    if (size < 0) {
      // Registered in the module, but its meta is not published yet or was just released.
      mapping.close();
      throw new DmergeException.UnknownRegion(meta.id(), producer.path() + " (job " + config.jobId() + ")");
    }
    if (size > r.len()) {
      mapping.close();
      throw new DmergeException("region " + meta.id() + " is registered with " + size + " bytes, but "
          + producer.path() + " mapped only " + r.len() + " (kernel id 0x" + Long.toHexString(kid) + ")");
    }
    kernelRmaps.incrementAndGet();
    return new MappedRegion(new RegionMeta(meta.node(), meta.id(), size), mapping);
  }

  @Override
  public void release(String id) {
    if (closed) {
      files.release(id); // the descriptors are closed: the module has released everything already
      return;
    }
    AccessKey key = owned.remove(id);
    if (key != null) {
      releaseQuietly(id, key);
    }
    files.release(id);
  }

  private void releaseQuietly(String id, AccessKey key) {
    try {
      producer.release(kernelId(config.jobId(), id), key);
    } catch (KmodException e) {
      if (e.errno() != Errno.ENOENT) {
        LOG.warn("cannot release region {} in {}", id, producer.path(), e);
      }
    }
  }

  /** Releases kernel registrations whose region another process of the job has released. */
  private void reapReleasedElsewhere() {
    for (Map.Entry<String, AccessKey> e : owned.entrySet()) {
      if (files.registeredSize(e.getKey()) < 0 && owned.remove(e.getKey(), e.getValue())) {
        releaseQuietly(e.getKey(), e.getValue());
      }
    }
  }

  @Override
  public long registeredBytes() {
    return files.registeredBytes();
  }

  /** Bytes held in the memory-backed directory; the rest went to the spill directory. */
  public long memoryBytes() {
    return files.memoryBytes();
  }

  /** Regions this instance registered with the module / only in the file registry. */
  public long kernelRegistrations() {
    return kernelRegistrations.get();
  }

  public long fileOnlyRegistrations() {
    return fileOnlyRegistrations.get();
  }

  /** rmaps served by the module / by the file registry (the ENOENT fallback). */
  public long kernelRmaps() {
    return kernelRmaps.get();
  }

  public long fileRmaps() {
    return fileRmaps.get();
  }

  /**
   * Closes both descriptors (the module releases every region registered here; mappings already
   * made stay valid until their {@link MappedRegion}s close), then closes the file registry (the
   * owner deletes the job's files).
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    owned.clear();
    producer.close();
    consumer.close();
    files.close();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("Dmerge of job " + config.jobId() + " is closed");
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // the job's close() deletes it
    }
  }

  @Override
  public String toString() {
    return "KmodDmerge(" + producer.path() + ", job " + config.jobId() + ")";
  }
}
