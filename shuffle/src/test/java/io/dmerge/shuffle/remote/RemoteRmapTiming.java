package io.dmerge.shuffle.remote;

import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.RegionBuffer;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Times remote rmap through a node agent on loopback against local rmap, one process playing both
 * nodes (numbers in shuffle/README.md, "Remote rmap"). Not a test; run by hand:
 *
 * <pre>
 * mvn -o -q -pl shuffle test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp shuffle/target/classes:shuffle/target/test-classes:$(cat /tmp/cp.txt) \
 *     io.dmerge.shuffle.remote.RemoteRmapTiming 64 1024
 * </pre>
 *
 * Per size (MiB): the producer on node A writes and registers one region; then, five runs each,
 * (1) local rmap in a fresh attached instance (new mapping) plus a read of every byte, (2) the same
 * with the instance kept (cached windows), (3) remote rmap from node B (fetch into an unlinked
 * file) plus the same read. Prints every run in milliseconds.
 */
public final class RemoteRmapTiming {
  private static final int RUNS = 5;

  private RemoteRmapTiming() {}

  public static void main(String[] args) throws IOException {
    Path a = Files.createTempDirectory(Path.of("/dev/shm"), "dmerge-timing-a-");
    Path b = Files.createTempDirectory(Path.of("/dev/shm"), "dmerge-timing-b-");
    Path spill = Files.createTempDirectory("dmerge-timing-spill-");
    ShmConfig configA = new ShmConfig("timing", a, spill.resolve("a"), Long.MAX_VALUE, "node-a");
    ShmConfig configB = new ShmConfig("timing", b, spill.resolve("b"), Long.MAX_VALUE, "node-b");
    try (ShmDmerge producer = ShmDmerge.create(configA);
        NodeAgent agent = NodeAgent.start("node-a", a, spill.resolve("a"), new InetSocketAddress("127.0.0.1", 0));
        RemoteDmerge consumer = new RemoteDmerge(ShmDmerge.create(configB), configB,
            NodeDirectory.parse("node-a=127.0.0.1:" + agent.address().getPort()), Duration.ofSeconds(60));
        ShmDmerge cached = ShmDmerge.attach(configA)) {
      for (String arg : args) {
        long size = Long.parseLong(arg) << 20;
        AccessKey key = AccessKey.random();
        RegionMeta meta = write(producer, "r" + arg, size, key);
        long expected = -1;
        for (int run = 0; run < RUNS; run++) {
          long t0 = System.nanoTime();
          long sum;
          try (ShmDmerge fresh = ShmDmerge.attach(configA); MappedRegion r = fresh.rmap(meta, key)) {
            sum = sum(r);
          }
          if (expected == -1) {
            expected = sum;
          }
          check(expected, sum);
          long t1 = System.nanoTime();
          try (MappedRegion r = cached.rmap(meta, key)) {
            check(expected, sum(r));
          }
          long t2 = System.nanoTime();
          long fetched;
          try (MappedRegion r = consumer.rmap(meta, key)) {
            fetched = System.nanoTime();
            check(expected, sum(r));
          }
          long t3 = System.nanoTime();
          System.out.printf("%d MiB run %d: local new mapping %.0f ms, local cached %.0f ms,"
                  + " remote %.0f ms (fetch %.0f ms = %.2f GB/s)%n",
              size >> 20, run, ms(t1 - t0), ms(t2 - t1), ms(t3 - t2), ms(fetched - t2), size / (double) (fetched - t2));
        }
        producer.release(meta.id());
      }
    } finally {
      deleteTree(a);
      deleteTree(b);
      deleteTree(spill);
    }
  }

  private static RegionMeta write(ShmDmerge d, String id, long size, AccessKey key) {
    RegionBuffer buffer = d.allocate(id);
    int block = 16 << 20;
    for (long done = 0; done < size; done += block) {
      int n = (int) Math.min(block, size - done);
      ByteBuffer bb = buffer.block(buffer.allocate(n), n);
      for (int i = 0; i < n; i += 8) {
        bb.putLong(i, done + i);
      }
    }
    return d.register(buffer, key);
  }

  /** Reads every byte, as longs, a 16 MiB slice at a time. */
  private static long sum(MappedRegion r) {
    long s = 0;
    int slice = 16 << 20;
    for (long off = 0; off < r.size(); off += slice) {
      ByteBuffer b = r.slice(off, (int) Math.min(slice, r.size() - off));
      for (int i = 0; i + 8 <= b.remaining(); i += 8) {
        s += b.getLong(i);
      }
    }
    return s;
  }

  private static void check(long expected, long actual) {
    if (expected != actual) {
      throw new AssertionError("sum " + actual + ", expected " + expected);
    }
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
