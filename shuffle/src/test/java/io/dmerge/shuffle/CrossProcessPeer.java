package io.dmerge.shuffle;

import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The other process of {@link CrossProcessTest}: attaches to the test's job and either consumes a
 * region the test registered or produces one for the test to consume. It reports on stdout.
 *
 * <pre>
 * consume memRoot spillRoot jobId node id keyHex seed count partitions blockBytes
 * produce memRoot spillRoot jobId node id keyHex seed count partitions blockBytes
 * own     memRoot spillRoot jobId node id keyHex seed count partitions blockBytes
 * rounds  memRoot spillRoot jobId node - - 0 0 1 1
 * </pre>
 *
 * {@code rounds} stays attached and answers commands on stdin, one a line, so that its mapping
 * cache lives across regions: {@code RAW id keyHex seed size} rmaps the region, checks every byte
 * against {@link #pattern} and answers {@code OK <cachedFiles>} (or {@code BAD ...});
 * {@code SWEEP} answers {@code CACHED <cachedFiles>} after dropping mappings of unlinked files;
 * {@code END} ends.
 *
 * {@code own} creates the job as its driver, registers a region and waits to be killed, leaving
 * an orphaned job directory behind.
 */
public final class CrossProcessPeer {
  /** Starts a peer JVM in {@code mode} on job {@code c}, with the arguments {@link #main} parses. */
  static Process start(String mode, ShmConfig c, String id, AccessKey key, Records records) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        CrossProcessPeer.class.getName(),
        mode, c.memoryRoot().toString(), c.spillRoot().toString(), c.jobId(), c.node(), id, key.toHex(),
        Long.toString(records.seed), Integer.toString(records.count), Integer.toString(records.partitions),
        Integer.toString(records.blockBytes)));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    ShmConfig config = new ShmConfig(args[3], Path.of(args[1]), Path.of(args[2]), Long.MAX_VALUE, args[4]);
    String id = args[5];
    AccessKey key = AccessKey.fromHex(args[6]);
    Records records = new Records(Long.parseLong(args[7]), Integer.parseInt(args[8]), Integer.parseInt(args[9]),
        Integer.parseInt(args[10]));
    if (mode.equals("own")) {
      ShmDmerge dmerge = ShmDmerge.create(config);
      RegionBuffer buffer = dmerge.allocate(id);
      SegmentWriter writer = new SegmentWriter(buffer, records.partitions, records.blockBytes);
      records.writeTo(writer);
      writer.finish();
      dmerge.register(buffer, key);
      dmerge.allocate(id + "-unfinished").block(0, 0);
      System.out.println("OWNING " + ProcessHandle.current().pid());
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
    try (ShmDmerge dmerge = ShmDmerge.attach(config)) {
      if (mode.equals("rounds")) {
        rounds(dmerge, config);
      } else if (mode.equals("consume")) {
        RegionMeta meta = new RegionMeta(config.node(), id, -1);
        try {
          dmerge.rmap(meta, AccessKey.random()).close();
          System.out.println("WRONG-KEY-ACCEPTED");
        } catch (DmergeException.AccessDenied e) {
          System.out.println("DENIED");
        }
        try (MappedRegion region = dmerge.rmap(meta, key)) {
          SegmentReader reader = new SegmentReader(region);
          System.out.println("RECORDS " + reader.records());
          System.out.println("CHECKSUM " + Records.digest(reader));
        }
      } else if (mode.equals("produce")) {
        RegionBuffer buffer = dmerge.allocate(id);
        SegmentWriter writer = new SegmentWriter(buffer, records.partitions, records.blockBytes);
        records.writeTo(writer);
        writer.finish();
        RegionMeta meta = dmerge.register(buffer, key);
        System.out.println("REGISTERED " + meta.size() + " " + ProcessHandle.current().pid());
        System.out.println("CHECKSUM " + records.expectedDigest());
        System.out.flush();
        // Stay alive until the test has read the region, to show it is shared while both run.
        new BufferedReader(new InputStreamReader(System.in)).readLine();
      } else {
        throw new IllegalArgumentException(mode);
      }
    }
    System.out.println("DONE");
  }

  /** The long at byte offset {@code i} (a multiple of 8) of a raw test region written with {@code seed}. */
  static long pattern(long seed, long i) {
    return (seed * 0x9E3779B97F4A7C15L) ^ (i * 0xBF58476D1CE4E5B9L);
  }

  /** Checks every long of a raw region; returns -1 if all match, else the first bad offset. */
  static long firstMismatch(MappedRegion region, long seed) {
    long size = region.size();
    for (long off = 0; off < size; off += 1 << 20) {
      int len = (int) Math.min(1 << 20, size - off);
      java.nio.ByteBuffer b = region.slice(off, len).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i + 8 <= len; i += 8) {
        if (b.getLong(i) != pattern(seed, off + i)) {
          return off + i;
        }
      }
    }
    return -1;
  }

  private static void rounds(ShmDmerge dmerge, ShmConfig config) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    String line;
    while ((line = in.readLine()) != null) {
      String[] a = line.split(" ");
      switch (a[0]) {
        case "RAW" -> {
          RegionMeta meta = new RegionMeta(config.node(), a[1], -1);
          try (MappedRegion region = dmerge.rmap(meta, AccessKey.fromHex(a[2]))) {
            long bad = region.size() != Long.parseLong(a[4]) ? -2 : firstMismatch(region, Long.parseLong(a[3]));
            System.out.println(bad == -1 ? "OK " + dmerge.cachedFiles() : "BAD " + bad + " size " + region.size());
          } catch (DmergeException e) {
            System.out.println("ERROR " + e);
          }
        }
        case "SWEEP" -> {
          dmerge.sweepMappings();
          System.out.println("CACHED " + dmerge.cachedFiles());
        }
        case "END" -> {
          return;
        }
        default -> throw new IllegalArgumentException(line);
      }
      System.out.flush();
    }
  }
}
