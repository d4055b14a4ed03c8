package io.dmerge.shuffle.shm;

import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.RegionBuffer;
import io.dmerge.shuffle.RegionMeta;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * The file protocol of the node registry. One directory per job ({@code root/jobId}, mode 0700)
 * holds {@code id.region} (the bytes) and, once registered, {@code id.meta} (size and the SHA-256
 * of the access key). A region is visible exactly when its meta file exists: registration is an
 * atomic rename, so a consumer never sees a half-written region. The {@code owner} file names the
 * driver's pid so that a later start can reclaim directories whose driver died.
 */
final class RegionDirectory {
  private static final String REGION = ".region";
  private static final String META = ".meta";
  private static final String OWNER = "owner";
  private static final long OWNERLESS_GRACE_MILLIS = 60_000;

  private final Path dir;

  private RegionDirectory(Path dir) {
    this.dir = dir;
  }

  static RegionDirectory create(Path root, String jobId) {
    Path dir = root.resolve(jobId);
    try {
      Files.createDirectories(root);
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.writeString(dir.resolve(OWNER), Long.toString(ProcessHandle.current().pid()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Dmerge job directory " + dir, e);
    }
    return new RegionDirectory(dir);
  }

  static RegionDirectory attach(Path root, String jobId) {
    Path dir = root.resolve(jobId);
    if (!Files.isDirectory(dir)) {
      throw new DmergeException("no Dmerge job directory " + dir + ": the job has ended or never started");
    }
    return new RegionDirectory(dir);
  }

  /** Deletes job directories under {@code root} whose owning driver process is gone. */
  static void reclaimOrphans(Path root) {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> jobs = Files.list(root)) {
      jobs.filter(Files::isDirectory).filter(RegionDirectory::isOrphan).forEach(ShmDmerge::deleteTree);
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
    return new RegionBuffer(id, dir.resolve(id + REGION));
  }

  boolean holds(RegionBuffer buffer) {
    return buffer.file().getParent().equals(dir);
  }

  RegionMeta register(String node, RegionBuffer buffer, AccessKey key) {
    buffer.seal();
    RegionMeta meta = new RegionMeta(node, buffer.id(), buffer.size());
    Path tmp = dir.resolve(buffer.id() + META + ".tmp");
    String content = meta.size() + "\n" + keyDigest(key) + "\n";
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
    try {
      FileChannel channel = FileChannel.open(dir.resolve(meta.id() + REGION), StandardOpenOption.READ);
      // A region file shorter than registered was truncated behind our back. Mapping past its
      // end fails (and a page past the end would raise SIGBUS when touched): expose only the
      // bytes that exist, so that the segment reader reports the damage as a corrupt segment.
      long present = channel.size();
      return new MappedRegion(new RegionMeta(meta.node(), meta.id(), Math.min(size, present)), channel);
    } catch (NoSuchFileException e) {
      throw new DmergeException.UnknownRegion(meta.id(), dir.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void release(String id) {
    try {
      // The meta goes first so that no new rmap can start; open mappings keep the pages alive.
      Files.deleteIfExists(metaFile(id));
      Files.deleteIfExists(dir.resolve(id + REGION));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release region " + id, e);
    }
  }

  long bytesInUse() {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(REGION))
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0; // released concurrently
                }
              })
          .sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
    if (!id.matches("[A-Za-z0-9_.-]+") || id.startsWith(".")) {
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
