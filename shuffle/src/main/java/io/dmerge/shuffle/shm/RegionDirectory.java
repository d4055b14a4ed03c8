package io.dmerge.shuffle.shm;

import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.MappingCache;
import io.dmerge.shuffle.RegionBuffer;
import io.dmerge.shuffle.RegionMeta;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The file protocol of the node registry. One directory per job ({@code root/jobId}, mode 0700)
 * holds {@code id.region} (the bytes) and, once registered, {@code id.meta} (size and the SHA-256
 * of the access key). A region is visible exactly when its meta file exists: registration is an
 * atomic rename, so a consumer never sees a half-written region. The {@code owner} file names the
 * driver's pid so that a later start can reclaim directories whose driver died, or {@value
 * #AGENT_OWNER} for a directory that a node agent holds for a driver on another node.
 */
final class RegionDirectory {
  private static final String REGION = ".region";
  private static final String META = ".meta";
  private static final String OWNER = "owner";
  /** Owner of a directory that a node agent holds: not a pid, so pid-based reclaim keeps it. */
  static final String AGENT_OWNER = "agent";
  private static final String FREE = "free";
  private static final long OWNERLESS_GRACE_MILLIS = 60_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  /** Recycling directories only (the memory directory): the pool, its cap, and this process's mappings. */
  private final Path free;
  private final long poolCap;
  private final MappingCache cache;

  private RegionDirectory(Path dir, boolean recycling, long poolCap) {
    this.dir = dir;
    this.free = recycling ? dir.resolve(FREE) : null;
    this.poolCap = poolCap;
    this.cache = recycling ? new MappingCache(dir) : null;
  }

  /** The owner of directories this process creates as a job's driver: its pid. */
  static String thisProcess() {
    return Long.toString(ProcessHandle.current().pid());
  }

  /**
   * Creates the job's directory, owned by {@code owner} ({@link #thisProcess()} or {@link
   * #AGENT_OWNER}). A recycling directory (the memory one) keeps released region files in {@code
   * free/}, up to {@code poolCap} bytes of their pages, for later allocations.
   */
  static RegionDirectory create(Path root, String jobId, String owner, boolean recycling, long poolCap) {
    Path dir = root.resolve(jobId);
    try {
      Files.createDirectories(root);
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.writeString(dir.resolve(OWNER), owner);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Dmerge job directory " + dir, e);
    }
    return new RegionDirectory(dir, recycling, poolCap);
  }

  static RegionDirectory attach(Path root, String jobId, boolean recycling, long poolCap) {
    Path dir = root.resolve(jobId);
    if (!Files.isDirectory(dir)) {
      throw new DmergeException("no Dmerge job directory " + dir + ": the job has ended or never started");
    }
    return new RegionDirectory(dir, recycling, poolCap);
  }

  /** Deletes job directories under {@code root} whose owning driver process is gone. */
  static void reclaimOrphans(Path root) {
    reclaim(root, RegionDirectory::isOrphan);
  }

  /**
   * Deletes the job directories under {@code root} that a node agent held: run by the node's agent
   * when it starts, as no hold outlives the agent that served it.
   */
  static void reclaimHeld(Path root) {
    reclaim(root, dir -> {
      try {
        return AGENT_OWNER.equals(Files.readString(dir.resolve(OWNER)).trim());
      } catch (IOException e) {
        return false;
      }
    });
  }

  private static void reclaim(Path root, Predicate<Path> unowned) {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> jobs = Files.list(root)) {
      jobs.filter(Files::isDirectory).filter(unowned).forEach(ShmDmerge::deleteTree);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot scan " + root + " for orphaned regions", e);
    }
  }

  private static boolean isOrphan(Path jobDir) {
    try {
      long pid = Long.parseLong(Files.readString(jobDir.resolve(OWNER)).trim());
      return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
    } catch (NoSuchFileException e) {
      // create() makes the directory first and writes the owner file just after: a directory
      // without one is only an orphan once it is clearly older than that window.
      return olderThan(jobDir, OWNERLESS_GRACE_MILLIS);
    } catch (IOException | NumberFormatException e) {
      // Unreadable, or not a pid: AGENT_OWNER, whose agent reclaims it (reclaimHeld).
      return false;
    }
  }

  private static boolean olderThan(Path path, long millis) {
    try {
      return System.currentTimeMillis() - Files.getLastModifiedTime(path).toMillis() > millis;
    } catch (IOException e) {
      return false;
    }
  }

  Path path() {
    return dir;
  }

  RegionBuffer newBuffer(String id) {
    checkId(id);
    if (cache == null) {
      return new RegionBuffer(id, dir.resolve(id + REGION));
    }
    String token = HexFormat.of().formatHex(randomBytes());
    Path file = dir.resolve(id + REGION);
    FileChannel channel;
    try {
      channel = FileChannel.open(
          file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Dmerge region file " + file, e);
    }
    return recycledBuffer(id, file, channel, token);
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return b;
  }

  private RegionBuffer recycledBuffer(String id, Path file, FileChannel channel, String token) {
    try {
      MappingCache.Lease lease = cache.lease(MappingCache.FileId.of(token, file), true);
      return new RegionBuffer(id, file, channel, token, lease);
    } catch (IOException | RuntimeException e) {
      try {
        channel.close();
        Files.deleteIfExists(file);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e instanceof IOException io ? new UncheckedIOException("cannot open region file " + file, io) : (RuntimeException) e;
    }
  }

  /**
   * Claims a pooled file for a new region {@code id}: renames {@code free/<token>.region} to
   * {@code <id>.region}, which succeeds for exactly one claimer. Files this process still has
   * mapped read-write are tried first (no faults at all), then files it has mapped read-only, then
   * the rest (their pages are resident, only the page-table entries are new). Returns null if the
   * pool is empty (or this directory does not recycle).
   */
  RegionBuffer claim(String id) {
    checkId(id);
    if (cache == null) {
      return null;
    }
    Path file = dir.resolve(id + REGION);
    List<String> tokens = new ArrayList<>();
    try (Stream<Path> pooled = Files.list(free)) {
      pooled.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(REGION))
          .forEach(n -> tokens.add(n.substring(0, n.length() - REGION.length())));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the region pool " + free, e);
    }
    if (tokens.isEmpty()) {
      return null;
    }
    if (Files.exists(file)) {
      throw new UncheckedIOException(
          "cannot create Dmerge region file " + file, new FileAlreadyExistsException(file.toString()));
    }
    tokens.sort(Comparator.comparingInt(t -> cache.holds(t, true) ? 0 : cache.holds(t, false) ? 1 : 2));
    for (String token : tokens) {
      try {
        Files.move(free.resolve(token + REGION), file, StandardCopyOption.ATOMIC_MOVE);
      } catch (NoSuchFileException e) {
        continue; // another process claimed it first
      } catch (IOException e) {
        throw new UncheckedIOException("cannot claim pooled region file " + token + " for " + id, e);
      }
      FileChannel channel;
      try {
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open claimed region file " + file, e);
      }
      return recycledBuffer(id, file, channel, token);
    }
    return null;
  }

  boolean holds(RegionBuffer buffer) {
    return buffer.file().getParent().equals(dir);
  }

  RegionMeta register(String node, RegionBuffer buffer, AccessKey key) {
    buffer.seal();
    RegionMeta meta = new RegionMeta(node, buffer.id(), buffer.size());
    Path tmp = dir.resolve(buffer.id() + META + ".tmp");
    // A recycled file's token is the third line, so that consumers find their cached mappings.
    String content = meta.size() + "\n" + keyDigest(key) + "\n" + (buffer.token() == null ? "" : buffer.token() + "\n");
    try {
      Files.writeString(tmp, content, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
      try {
        Files.move(tmp, metaFile(buffer.id()), StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, metaFile(buffer.id()), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot register region " + buffer.id(), e);
    }
    return meta;
  }

  boolean isRegistered(String id) {
    return Files.exists(metaFile(id));
  }

  /** The registered size of {@code id} from its meta file, or -1 if it is not registered here. */
  long registeredSize(String id) {
    try {
      return Long.parseLong(Files.readString(metaFile(id), StandardCharsets.UTF_8).split("\n")[0]);
    } catch (NoSuchFileException e) {
      return -1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  MappedRegion rmap(RegionMeta meta, AccessKey key) {
    String[] lines;
    try {
      lines = Files.readString(metaFile(meta.id()), StandardCharsets.UTF_8).split("\n");
    } catch (NoSuchFileException e) {
      throw new DmergeException.UnknownRegion(meta.id(), dir.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] expected = HexFormat.of().parseHex(lines[1]);
    byte[] presented = HexFormat.of().parseHex(keyDigest(key));
    if (!MessageDigest.isEqual(expected, presented)) {
      throw new DmergeException.AccessDenied(meta.id());
    }
    long size = Long.parseLong(lines[0]);
    String token = lines.length > 2 && cache != null ? lines[2] : null;
    Path file = dir.resolve(meta.id() + REGION);
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
      try {
        // A region file shorter than registered was truncated behind our back. Mapping past its
        // end fails (and a page past the end would raise SIGBUS when touched): expose only the
        // bytes that exist, so that the segment reader reports the damage as a corrupt segment.
        long present = channel.size();
        RegionMeta mapped = new RegionMeta(meta.node(), meta.id(), Math.min(size, present));
        if (token == null) {
          return new MappedRegion(mapped, channel);
        }
        MappingCache.Lease lease = cache.lease(MappingCache.FileId.of(token, file), false);
        return new MappedRegion(mapped, channel, present, lease);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } catch (NoSuchFileException e) {
      throw new DmergeException.UnknownRegion(meta.id(), dir.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void release(String id) {
    Path file = dir.resolve(id + REGION);
    try {
      String token = null;
      if (cache != null) {
        try {
          String[] lines = Files.readString(metaFile(id), StandardCharsets.UTF_8).split("\n");
          token = lines.length > 2 ? lines[2] : null;
        } catch (NoSuchFileException e) {
          // not registered (or released already): the file, if any, is deleted as before
        }
      }
      // The meta goes first so that no new rmap can start; open mappings keep the pages alive.
      Files.deleteIfExists(metaFile(id));
      if (token != null) {
        long pages = FileBlocks.allocated(file);
        if (pages > 0 && pooledBytes() + pages <= poolCap) {
          try {
            Files.createDirectories(free); // made by the first release that pools a file
            Files.move(file, free.resolve(token + REGION), StandardCopyOption.ATOMIC_MOVE);
            return;
          } catch (NoSuchFileException e) {
            return; // released concurrently
          }
        }
        cache.drop(token);
      }
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release region " + id, e);
    }
  }

  /**
   * Bytes held by the regions of this directory (not the pool). In a recycling directory this is
   * the memory the files really hold (their pages; a recycled file keeps the pages of its largest
   * use); elsewhere the files' sizes.
   */
  long bytesInUse() {
    return sum(dir);
  }

  /** Bytes of memory held by pooled (released, reusable) files. */
  long pooledBytes() {
    return free == null ? 0 : sum(free);
  }

  private long sum(Path directory) {
    try (Stream<Path> files = Files.list(directory)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(REGION))
          .mapToLong(
              p -> {
                if (cache != null) {
                  return FileBlocks.allocated(p);
                }
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0; // released concurrently
                }
              })
          .sum();
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** This process's cached mappings of the directory's files, or null if it does not recycle. */
  MappingCache cache() {
    return cache;
  }

  /** Unmaps what this process has cached (mappings still leased go when their lease closes). */
  void closeCache() {
    if (cache != null) {
      cache.close();
    }
  }

  void deleteAll() {
    ShmDmerge.deleteTree(dir);
  }

  private Path metaFile(String id) {
    checkId(id);
    return dir.resolve(id + META);
  }

  private static void checkId(String id) {
    if (!ShmConfig.isPlainFileName(id)) {
      throw new IllegalArgumentException("region id must be a plain file name, got '" + id + "'");
    }
  }

  private static String keyDigest(AccessKey key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.bytes()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
