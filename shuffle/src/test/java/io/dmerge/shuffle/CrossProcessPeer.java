package io.dmerge.shuffle;

import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;

/**
 * The other process of {@link CrossProcessTest}: attaches to the test's job and either consumes a
 * region the test registered or produces one for the test to consume. It reports on stdout.
 *
 * <pre>
 * consume memRoot spillRoot jobId node id keyHex seed count partitions blockBytes
 * produce memRoot spillRoot jobId node id keyHex seed count partitions blockBytes
 * own     memRoot spillRoot jobId node id keyHex seed count partitions blockBytes
 * </pre>
 *
 * {@code own} creates the job as its driver, registers a region and waits to be killed, leaving
 * an orphaned job directory behind.
 */
public final class CrossProcessPeer {
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
      if (mode.equals("consume")) {
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
}
