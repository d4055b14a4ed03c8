package io.dmerge.shuffle;

import io.dmerge.shuffle.shm.ShmConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Fresh memory and spill roots for one test: the memory root is a new directory under /dev/shm
 * (a tmpfs, as in production) when there is one, never the shared default root.
 */
final class TestRoots implements AutoCloseable {
  static final String NODE = "test-node";

  final Path memoryRoot;
  final Path spillRoot;

  /** Roots of test JVMs that were killed before their cleanup ran; no test lives this long. */
  private static final long STALE_ROOT_MILLIS = 60 * 60 * 1000L;

  private static boolean swept;

  TestRoots(Path tempDir) {
    sweepStaleRoots();
    try {
      Path shm = Path.of("/dev/shm");
      memoryRoot =
          Files.isDirectory(shm) && Files.isWritable(shm)
              ? Files.createTempDirectory(shm, "dmerge-test-")
              : Files.createDirectories(tempDir.resolve("memory"));
      spillRoot = Files.createDirectories(tempDir.resolve("spill"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized void sweepStaleRoots() {
    if (swept) {
      return;
    }
    swept = true;
    Path shm = Path.of("/dev/shm");
    if (!Files.isDirectory(shm)) {
      return;
    }
    long now = System.currentTimeMillis();
    try (Stream<Path> roots = Files.list(shm)) {
      roots
          .filter(p -> p.getFileName().toString().startsWith("dmerge-test-"))
          .filter(p -> {
            try {
              return now - Files.getLastModifiedTime(p).toMillis() > STALE_ROOT_MILLIS;
            } catch (IOException e) {
              return false;
            }
          })
          .forEach(TestRoots::deleteTree);
    } catch (IOException e) {
      // best effort
    }
  }

  ShmConfig config(String jobId) {
    return config(jobId, Long.MAX_VALUE);
  }

  ShmConfig config(String jobId, long budget) {
    return new ShmConfig(jobId, memoryRoot, spillRoot, budget, NODE);
  }

  @Override
  public void close() {
    deleteTree(memoryRoot);
    deleteTree(spillRoot);
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every file and directory below {@code dir}, for "nothing left behind" checks. */
  static long entriesBelow(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      return paths.count() - 1;
    }
  }
}
