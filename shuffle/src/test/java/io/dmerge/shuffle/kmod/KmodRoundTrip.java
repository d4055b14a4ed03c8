package io.dmerge.shuffle.kmod;

import com.sun.jna.Native;
import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.Dmerges;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.Records;
import io.dmerge.shuffle.RegionBuffer;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A register/rmap round trip through {@code /dev/dmerge} between two JVMs: this one is the job's
 * driver (owner), the other ({@link #child}) a worker that attached. Shared by {@link
 * KmodRoundTripTest} (JUnit, skipped without the device) and {@link KmodGuestMain} (prints
 * PASS/FAIL lines in the QEMU guest of {@code make -C kmod qemu-test}).
 *
 * <p>Checks, in order: both processes chose the kmod transport; the driver rmaps its own region
 * in-process; the worker is denied with a wrong
 * key (EACCES → AccessDenied) and gets UnknownRegion for an unknown id (ENOENT); it reads the
 * driver's segment identically through a mapping of /dev/dmerge, also across the 64 MiB window
 * boundary of a 65 MiB region; the driver reads the worker's region identically (and is denied
 * with a wrong key); the driver's mapping survives the worker's exit; the module released the
 * worker's registration when its process exited, and a new rmap then falls back to the job's
 * file; release and close leave no region and no mapping in the module.
 */
final class KmodRoundTrip {
  static final String JOB = "kmod-roundtrip";
  static final String NODE = "kmod-node";
  static final int PARTITIONS = 8;
  static final int BLOCK = 4 << 10;
  static final int COUNT = 2000;
  static final long WINDOW = 64L << 20;
  static final int MARK = 4096;

  /** One named check. */
  record Check(String name, boolean ok, String detail) {}

  interface Report {
    void check(String name, boolean ok, String detail);

    default void pass(String name) {
      check(name, true, "");
    }
  }

  private KmodRoundTrip() {}

  private static final long T0 = System.nanoTime();

  /** Progress on stdout, so that slow steps in the guest (no KVM) are visible. */
  static void phase(String what) {
    System.out.printf("  [%5.1f s] %s%n", (System.nanoTime() - T0) / 1e9, what);
    System.out.flush();
  }

  // ---- the driver (this JVM) ---------------------------------------------------------------

  /** Runs the round trip; {@code report} gets every check. Cleans up its directories. */
  static void run(Path device, Report report) throws Exception {
    Path memoryRoot = tmpfsDir("dmerge-kmod-mem-");
    Path spillRoot = Files.createTempDirectory("dmerge-kmod-spill-");
    ShmConfig config = new ShmConfig(JOB, memoryRoot, spillRoot, Long.MAX_VALUE, NODE);
    AccessKey driverKey = AccessKey.random();
    AccessKey workerKey = AccessKey.random();
    // The worker JVM starts first and warms up (JVM, JNA) while this one produces: without KVM
    // a JVM start costs seconds. It attaches when told "GO".
    Process child = startChild(config, device, driverKey, workerKey);
    try (DmergeDevice probe = DmergeDevice.open(device)) {
      DmergeDevice.Stats before = probe.stats();
      phase("JNA loaded, " + device + " open, module stats " + before);
      driver(config, device, probe, before, child, driverKey, workerKey, report);
      DmergeDevice.Stats after = probe.stats();
      report.check("java_kmod_nothing_left_in_module",
          after.regions() == before.regions() && after.regionsLive() == before.regionsLive()
              && after.activeMaps() == before.activeMaps() && after.pagesPinned() == before.pagesPinned(),
          "before " + before + ", after " + after);
    } finally {
      if (child.isAlive() && !child.waitFor(5, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
      deleteTree(memoryRoot);
      deleteTree(spillRoot);
    }
  }

  private static void driver(ShmConfig config, Path device, DmergeDevice probe, DmergeDevice.Stats before,
      Process child, AccessKey driverKey, AccessKey workerKey, Report report) throws Exception {
    Dmerge dmerge = Dmerges.open(config, Dmerges.Transport.AUTO, device);
    System.out.println("transport: " + Dmerges.transportName(dmerge) + " (driver, " + device + ")");
    try {
      report.check("java_kmod_transport_driver", dmerge instanceof KmodDmerge, Dmerges.transportName(dmerge));
      if (!(dmerge instanceof KmodDmerge)) {
        return;
      }
      KmodDmerge kmod = (KmodDmerge) dmerge;
      phase("job opened");

      RegionMeta seg = produceSegment(dmerge, "seg-driver", 1, driverKey);
      RegionMeta big = produceBig(dmerge, "big-driver", driverKey);
      report.check("java_kmod_register_via_module", kmod.kernelRegistrations() == 2,
          "kernel registrations " + kmod.kernelRegistrations());
      DmergeDevice.Stats registered = probe.stats();
      report.check("java_kmod_module_holds_regions", registered.regions() == before.regions() + 2,
          "regions " + before.regions() + " -> " + registered.regions());

      try (MappedRegion own = dmerge.rmap(seg, driverKey)) { // producer and consumer in one process
        report.check("java_kmod_same_process_rmap",
            kmod.kernelRmaps() == 1 && mappedFromDevice(own) && expectedDigest(1).equals(digest(own)),
            "kernel rmaps " + kmod.kernelRmaps());
      }
      phase("driver registered " + seg.size() + " + " + big.size() + " bytes");
      MappedRegion kept = null;
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
          OutputStream in = child.getOutputStream()) {
        for (String line; (line = out.readLine()) != null && !line.equals("READY"); ) {
          System.out.println("  worker: " + line);
        }
        phase("worker ready; GO");
        in.write(("GO " + seg.size() + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        long workerSize = -1;
        for (String line; (line = out.readLine()) != null; ) {
          if (line.startsWith("CHECK ")) {
            String[] f = line.split(" ", 4);
            report.check(f[1], f[2].equals("OK"), f.length > 3 ? f[3] : "");
          } else if (line.startsWith("REGISTERED ")) {
            workerSize = Long.parseLong(line.substring("REGISTERED ".length()).trim());
            break;
          } else {
            System.out.println("  worker: " + line);
          }
        }
        report.check("java_kmod_worker_registered", workerSize > 0, "worker size " + workerSize);
        if (workerSize > 0) {
          RegionMeta fromWorker = new RegionMeta(NODE, "seg-worker", workerSize);
          expectDenied(dmerge, fromWorker, report, "java_kmod_driver_wrong_key_denied");
          long kernelRmaps = kmod.kernelRmaps();
          kept = dmerge.rmap(fromWorker, workerKey);
          report.check("java_kmod_driver_reads_worker_region",
              kmod.kernelRmaps() == kernelRmaps + 1 && kept.size() == workerSize
                  && expectedDigest(2).equals(digest(kept)) && mappedFromDevice(kept),
              "kernel rmaps " + kernelRmaps + " -> " + kmod.kernelRmaps() + ", size " + kept.size());
        }
        in.write('\n'); // let the worker close its Dmerge and exit
        in.flush();
        for (String line; (line = out.readLine()) != null; ) {
          if (line.startsWith("CHECK ")) {
            String[] f = line.split(" ", 4);
            report.check(f[1], f[2].equals("OK"), f.length > 3 ? f[3] : "");
          } else {
            System.out.println("  worker: " + line);
          }
        }
      } finally {
        if (!child.waitFor(120, TimeUnit.SECONDS)) {
          child.destroyForcibly();
        }
      }
      report.check("java_kmod_worker_exit", child.exitValue() == 0, "exit " + child.exitValue());

      // The worker's descriptor is closed: the module released its registration...
      DmergeDevice.Stats afterWorker = probe.stats();
      report.check("java_kmod_worker_exit_releases_registration",
          afterWorker.regions() == before.regions() + 2, "regions " + afterWorker.regions());
      if (kept != null) {
        // ...but the driver's mapping still holds the pages,
        report.check("java_kmod_mapping_outlives_producer", expectedDigest(2).equals(digest(kept)), "");
        kept.close();
        // and the region still belongs to the job: a new rmap falls back to its file.
        long fileRmaps = kmod.fileRmaps();
        try (MappedRegion again = dmerge.rmap(new RegionMeta(NODE, "seg-worker", 0), workerKey)) {
          report.check("java_kmod_rmap_after_producer_exit_uses_file",
              kmod.fileRmaps() == fileRmaps + 1 && expectedDigest(2).equals(digest(again)),
              "file rmaps " + fileRmaps + " -> " + kmod.fileRmaps());
        }
      }

      dmerge.release(seg.id());
      try (MappedRegion r = dmerge.rmap(seg, driverKey)) {
        report.check("java_kmod_released_region_unknown", false, "rmap after release succeeded");
      } catch (DmergeException.UnknownRegion e) {
        report.pass("java_kmod_released_region_unknown");
      }
      report.check("java_kmod_release_unregisters", probe.stats().regions() == before.regions() + 1,
          "regions " + probe.stats().regions());
      phase("in-process cases");
      inProcess(config, device, dmerge, probe, report);
    } catch (Exception | Error e) {
      report.check("java_kmod_driver_exception", false, e.toString());
      e.printStackTrace();
    } finally {
      dmerge.close();
    }
  }

  /**
   * Cases that need no second JVM: a second KmodDmerge on the job has its own descriptors, so to
   * the module it is another producer.
   */
  private static void inProcess(ShmConfig config, Path device, Dmerge owner, DmergeDevice probe, Report report)
      throws Exception {
    // A release by a process that did not register the region deletes its files at once; the
    // producer releases its kernel registration on its next allocate (at most once a second).
    long regions = probe.stats().regions();
    try (KmodDmerge other = KmodDmerge.attach(config, device)) {
      AccessKey key = AccessKey.random();
      RegionMeta meta = produceSegment(other, "reap-me", 3, key);
      boolean registered = probe.stats().regions() == regions + 1;
      owner.release(meta.id());
      boolean stillPinned = probe.stats().regions() == regions + 1;
      Thread.sleep(1100);
      other.allocate("after-reap").close();
      report.check("java_kmod_release_by_other_process_reaped",
          registered && stillPinned && probe.stats().regions() == regions,
          "registered " + registered + ", pinned until reaped " + stillPinned + ", regions " + regions + " -> "
              + probe.stats().regions());
    }

    // The same (job id, region id) registered twice on the node: the kernel id is taken (EEXIST).
    Path memory2 = tmpfsDir("dmerge-kmod-mem2-");
    Path spill2 = Files.createTempDirectory("dmerge-kmod-spill2-");
    ShmConfig twin = new ShmConfig(config.jobId(), memory2, spill2, Long.MAX_VALUE, NODE);
    try (KmodDmerge first = KmodDmerge.create(twin, device)) {
      produceSegment(first, "twice", 4, AccessKey.random());
      try (KmodDmerge second = KmodDmerge.create(
          new ShmConfig(config.jobId(), memory2.resolve("twin"), spill2.resolve("twin"), Long.MAX_VALUE, NODE),
          device)) {
        RegionBuffer again = second.allocate("twice");
        again.allocate(100);
        try {
          second.register(again, AccessKey.random());
          report.check("java_kmod_eexist_fails_clearly", false, "registered the same kernel id twice");
        } catch (DmergeException e) {
          report.check("java_kmod_eexist_fails_clearly",
              e.getMessage().contains("EEXIST") && !Files.exists(again.file()), e.getMessage());
        }
      }
      // Allocated but never written: the file is shorter than the region until register extends it.
      RegionBuffer unwritten = first.allocate("unwritten");
      unwritten.allocate(5000);
      AccessKey key = AccessKey.random();
      RegionMeta meta = first.register(unwritten, key);
      try (MappedRegion r = first.rmap(meta, key)) {
        ByteBuffer all = r.slice(0, 5000);
        boolean zeros = true;
        for (int i = 0; i < 5000; i++) {
          zeros &= all.get(i) == 0;
        }
        report.check("java_kmod_unwritten_bytes_registered", first.kernelRegistrations() == 2
            && first.kernelRmaps() == 1 && r.size() == 5000 && zeros && mappedFromDevice(r),
            "kernel registrations " + first.kernelRegistrations() + ", size " + r.size() + ", zeros " + zeros);
      }
    } finally {
      deleteTree(memory2);
      deleteTree(spill2);
    }

    // Spilled regions stay out of the module (pinning would defeat the spill); rmap reads the file.
    Path memory3 = tmpfsDir("dmerge-kmod-mem3-");
    Path spill3 = Files.createTempDirectory("dmerge-kmod-spill3-");
    try (KmodDmerge spilling = KmodDmerge.create(new ShmConfig("kmod-spill", memory3, spill3, 0, NODE), device)) {
      AccessKey key = AccessKey.random();
      RegionMeta meta = produceSegment(spilling, "spilled", 5, key);
      try (MappedRegion r = spilling.rmap(meta, key)) {
        report.check("java_kmod_spilled_region_via_file",
            spilling.fileOnlyRegistrations() == 1 && spilling.kernelRegistrations() == 0
                && spilling.fileRmaps() == 1 && expectedDigest(5).equals(digest(r)) && !mappedFromDevice(r),
            "file-only " + spilling.fileOnlyRegistrations() + ", file rmaps " + spilling.fileRmaps());
      }
      expectDenied(spilling, meta, report, "java_kmod_spilled_region_wrong_key_denied");
    } finally {
      deleteTree(memory3);
      deleteTree(spill3);
    }
  }

  private static Process startChild(ShmConfig c, Path device, AccessKey driverKey, AccessKey workerKey)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xmx256m"));
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("jna.")) { // e.g. jna.tmpdir, jna.platform.library.path from qemu-test.sh
        cmd.add("-D" + name + "=" + System.getProperty(name));
      }
    }
    cmd.addAll(List.of(
        "-cp", System.getProperty("java.class.path"),
        KmodGuestMain.class.getName(), "child",
        device.toString(), c.memoryRoot().toString(), c.spillRoot().toString(),
        driverKey.toHex(), workerKey.toHex()));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  // ---- the worker (another JVM) ------------------------------------------------------------

  /** The worker's side; reports checks on stdout as {@code CHECK name OK|FAIL [detail]}. */
  static int child(String[] args) throws Exception {
    Path device = Path.of(args[0]);
    ShmConfig config = new ShmConfig(JOB, Path.of(args[1]), Path.of(args[2]), Long.MAX_VALUE, NODE);
    AccessKey driverKey = AccessKey.fromHex(args[3]);
    AccessKey workerKey = AccessKey.fromHex(args[4]);
    System.out.println("JVM up after " + ProcessHandle.current().info().startInstant()
        .map(t -> System.currentTimeMillis() - t.toEpochMilli()).orElse(-1L) + " ms");
    try (DmergeDevice warm = DmergeDevice.open(device)) { // load JNA now, not on the clock
      warm.stats();
    }
    System.out.println("READY");
    System.out.flush();
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String go = stdin.readLine();
    if (go == null || !go.startsWith("GO ")) {
      System.out.println("CHECK java_kmod_worker_go FAIL driver said " + go);
      return 1;
    }
    long segSize = Long.parseLong(go.substring(3).trim());
    int[] failures = {0};
    Report report = (name, ok, detail) -> {
      if (!ok) {
        failures[0]++;
      }
      System.out.println("CHECK " + name + " " + (ok ? "OK" : "FAIL") + (detail.isEmpty() ? "" : " " + detail.replace('\n', ' ')));
      System.out.flush();
    };
    try (Dmerge dmerge = Dmerges.attach(config, Dmerges.Transport.AUTO, device)) {
      System.out.println("transport: " + Dmerges.transportName(dmerge) + " (worker)");
      report.check("java_kmod_transport_worker", dmerge instanceof KmodDmerge, Dmerges.transportName(dmerge));
      RegionMeta seg = new RegionMeta(NODE, "seg-driver", segSize);
      expectDenied(dmerge, seg, report, "java_kmod_worker_wrong_key_denied");
      try (MappedRegion r = dmerge.rmap(new RegionMeta(NODE, "no-such-region", 0), driverKey)) {
        report.check("java_kmod_unknown_id", false, "rmap of an unknown id succeeded");
      } catch (DmergeException.UnknownRegion e) {
        report.pass("java_kmod_unknown_id");
      }
      try (MappedRegion r = dmerge.rmap(seg, driverKey)) {
        boolean viaModule = mappedFromDevice(r);
        report.check("java_kmod_worker_reads_driver_region",
            r.size() == segSize && viaModule && expectedDigest(1).equals(digest(r)),
            "size " + r.size() + "/" + segSize + ", mapping of /dev/dmerge: " + viaModule);
      }
      try (MappedRegion r = dmerge.rmap(new RegionMeta(NODE, "big-driver", -1), driverKey)) {
        String bad = checkBig(r);
        report.check("java_kmod_worker_reads_65MiB_across_windows", bad == null && mappedFromDevice(r),
            bad == null ? "" : bad);
      }
      if (dmerge instanceof KmodDmerge k) {
        report.check("java_kmod_worker_rmaps_via_module", k.kernelRmaps() == 2 && k.fileRmaps() == 0,
            "kernel " + k.kernelRmaps() + ", file " + k.fileRmaps());
      }
      RegionMeta mine = produceSegment(dmerge, "seg-worker", 2, workerKey);
      System.out.println("REGISTERED " + mine.size());
      System.out.flush();
      stdin.readLine();
    } catch (Exception | Error e) {
      report.check("java_kmod_worker_exception", false, e.toString());
      e.printStackTrace();
    }
    System.out.println("DONE");
    return failures[0] == 0 ? 0 : 1;
  }

  // ---- data --------------------------------------------------------------------------------

  private static void expectDenied(Dmerge dmerge, RegionMeta meta, Report report, String name) {
    try (MappedRegion r = dmerge.rmap(meta, AccessKey.random())) {
      report.check(name, false, "rmap with a wrong key succeeded");
    } catch (DmergeException.AccessDenied e) {
      report.pass(name);
    } catch (RuntimeException e) {
      report.check(name, false, e.toString());
    }
  }

  /** Whether the region's bytes are a mapping of /dev/dmerge in this process (/proc/self/maps). */
  static boolean mappedFromDevice(MappedRegion region) {
    long addr = com.sun.jna.Pointer.nativeValue(Native.getDirectBufferPointer(region.slice(0, 1)));
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines.anyMatch(l -> {
        String[] f = l.trim().split("\\s+");
        String[] range = f[0].split("-");
        long lo = Long.parseUnsignedLong(range[0], 16);
        long hi = Long.parseUnsignedLong(range[1], 16);
        return Long.compareUnsigned(addr, lo) >= 0 && Long.compareUnsigned(addr, hi) < 0
            && f.length >= 6 && f[5].endsWith("dmerge");
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static RegionMeta produceSegment(Dmerge dmerge, String id, long seed, AccessKey key) {
    RegionBuffer buffer = dmerge.allocate(id);
    SegmentWriter writer = new SegmentWriter(buffer, PARTITIONS, BLOCK);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < COUNT; i++) {
      writer.write(r.nextInt(PARTITIONS), key(i), value(r, i));
    }
    writer.finish();
    return dmerge.register(buffer, key);
  }

  private static byte[] key(int i) {
    return ("k" + i).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] value(SplittableRandom r, int i) {
    // mostly small; every 97th larger than a block, so that it moves to a block of its own
    byte[] v = new byte[i % 97 == 5 ? 2 * BLOCK + r.nextInt(BLOCK) : r.nextInt(300)];
    for (int j = 0; j < v.length; j += 8) {
      long bits = r.nextLong();
      for (int k = j; k < Math.min(j + 8, v.length); k++, bits >>>= 8) {
        v[k] = (byte) bits;
      }
    }
    return v;
  }

  static String expectedDigest(long seed) {
    List<List<Records.Rec>> byPartition = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      byPartition.add(new ArrayList<>());
    }
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < COUNT; i++) {
      int p = r.nextInt(PARTITIONS);
      byPartition.get(p).add(new Records.Rec(p, key(i), value(r, i)));
    }
    return Records.digest(byPartition);
  }

  static String digest(MappedRegion region) {
    return Records.digest(new SegmentReader(region));
  }

  /** 65 MiB: a 64 MiB block and a 1 MiB block, marked at both ends and around the window boundary. */
  static RegionMeta produceBig(Dmerge dmerge, String id, AccessKey key) {
    RegionBuffer buffer = dmerge.allocate(id);
    long a = buffer.allocate(WINDOW);
    long b = buffer.allocate(1L << 20);
    if (a != 0 || b != WINDOW) {
      throw new IllegalStateException("unexpected block layout " + a + ", " + b);
    }
    ByteBuffer first = buffer.block(0, (int) WINDOW);
    ByteBuffer second = buffer.block(WINDOW, 1 << 20);
    mark(first, 0, 0);
    mark(first, (int) WINDOW - MARK, WINDOW - MARK);
    mark(second, 0, WINDOW);
    mark(second, (1 << 20) - MARK, WINDOW + (1 << 20) - MARK);
    return dmerge.register(buffer, key);
  }

  private static void mark(ByteBuffer block, int at, long absolute) {
    for (int i = 0; i < MARK; i++) {
      block.put(at + i, pattern(absolute + i));
    }
  }

  static byte pattern(long offset) {
    return (byte) (offset * 31 + (offset >>> 12) + 7);
  }

  /** null if the 65 MiB region reads as written, else what is wrong. */
  static String checkBig(MappedRegion r) {
    long size = WINDOW + (1 << 20);
    if (r.size() != size) {
      return "size " + r.size() + " != " + size;
    }
    long[][] marked = {{0, MARK}, {WINDOW - MARK, 2 * MARK}, {size - MARK, MARK}};
    for (long[] m : marked) {
      ByteBuffer v = r.slice(m[0], (int) m[1]); // the middle one crosses the window boundary
      for (int i = 0; i < m[1]; i++) {
        if (v.get(i) != pattern(m[0] + i)) {
          return "byte at " + (m[0] + i) + " differs";
        }
      }
    }
    ByteBuffer hole = r.slice(WINDOW / 2, MARK);
    for (int i = 0; i < MARK; i++) {
      if (hole.get(i) != 0) {
        return "unwritten byte at " + (WINDOW / 2 + i) + " is not 0";
      }
    }
    return null;
  }

  /** A fresh directory on a tmpfs (shmem pages, as in production): /dev/shm if usable, else /tmp. */
  static Path tmpfsDir(String prefix) throws IOException {
    Path shm = Path.of("/dev/shm");
    Path parent = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    return Files.createTempDirectory(parent, prefix);
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
