package io.dmerge.bench;

import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.RegionBuffer;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * Producer-to-consumer transfer of the same bytes four ways, consumer in a second JVM:
 *
 * <ul>
 *   <li>rmap: the producer registered a tmpfs region; the consumer rmaps it and reads every byte;
 *       timed in the consumer from the rmap call to done (unmap included).
 *   <li>tcp: the producer writes the bytes to a loopback socket; the consumer reads them into a
 *       reused buffer and reads every byte; timed in the consumer from its request to done.
 *   <li>redis: the producer SETs the bytes (64 MiB values) into a local redis-server, the consumer
 *       GETs them into a reused buffer and reads every byte; SET time plus GET time.
 *   <li>memcpy: ByteBuffer.put from one pre-touched direct buffer to another, in the producer.
 * </ul>
 *
 * Two Dmerge jobs: {@code bench-cold} never recycles (pool cap 0: every region file is new, every
 * release unlinks it) and its consumer maps every region anew (the "cold" rows); {@code bench}
 * recycles released region files and both processes keep their mappings (the "steady" rows: each
 * run a NEW region, allocated from the pool, written, registered, rmapped, read and released).
 *
 * <p>Plus the shuffle path, for each record size of --value-bytes: SegmentWriter writing records
 * (12-byte key, value of that size) of --shuffle-mib payload into P partitions of a region,
 * register, rmap, SegmentReader reading all of them, against memcpy of the same bytes, in steady
 * state (recycled regions) and cold (fresh regions). Every case is warmed up first and
 * reported as the median (and best) of several runs.
 */
public final class Bench {
  static final int WINDOW = 64 << 20;
  static final int MIB = 1 << 20;
  static final int REDIS_CHUNK = 64 << 20;

  private final Map<String, String> opts;
  private final List<Integer> sizes;
  private final int redisPort;
  private final StringBuilder report = new StringBuilder();

  private ShmDmerge dmerge;
  private ShmDmerge cold;
  private ByteBuffer src;
  private ByteBuffer dst;
  private Process consumer;
  private PrintWriter toConsumer;
  private BufferedReader fromConsumer;

  Bench(Map<String, String> opts) {
    this.opts = opts;
    this.sizes = Arrays.stream(opts.getOrDefault("sizes", "1,64,1024").split(",")).map(s -> Integer.parseInt(s) * MIB).toList();
    this.redisPort = Integer.parseInt(opts.getOrDefault("redis-port", "0"));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      opts.put(a.substring(2, eq < 0 ? a.length() : eq), eq < 0 ? "true" : a.substring(eq + 1));
    }
    new Bench(opts).run();
  }

  /** Timing of one case: all runs in ns, after warm-up. */
  record Timing(long[] ns) {
    long median() {
      long[] s = ns.clone();
      Arrays.sort(s);
      return s[s.length / 2];
    }

    long best() {
      return Arrays.stream(ns).min().orElseThrow();
    }
  }

  static Timing time(int warmups, int runs, LongSupplier oneRun) {
    for (int i = 0; i < warmups; i++) {
      oneRun.getAsLong();
    }
    long[] ns = new long[runs];
    for (int i = 0; i < runs; i++) {
      ns[i] = oneRun.getAsLong();
    }
    return new Timing(ns);
  }

  static int warmups(int size) {
    return size <= MIB ? 50 : size <= 64 * MIB ? 3 : 1;
  }

  static int runs(int size) {
    return size <= MIB ? 21 : size <= 64 * MIB ? 7 : 5;
  }

  void run() throws Exception {
    int max = sizes.stream().max(Integer::compare).orElseThrow();
    Path memRoot = Files.createTempDirectory(Path.of(opts.getOrDefault("shm", "/dev/shm")), "dmerge-bench-");
    Path spillRoot = Files.createTempDirectory("dmerge-bench-spill-");
    ShmConfig config = new ShmConfig("bench", memRoot, spillRoot, Long.MAX_VALUE, "bench-node");
    ShmConfig coldConfig = new ShmConfig("bench-cold", memRoot, spillRoot, Long.MAX_VALUE, "bench-node");
    dmerge = ShmDmerge.create(config); // recycles: pool cap = budget / 4, unbounded here
    cold = ShmDmerge.create(coldConfig, 0); // never recycles
    try {
      src = ByteBuffer.allocateDirect(max);
      dst = ByteBuffer.allocateDirect(max);
      Sums.fill(src);
      Sums.fill(dst);
      startConsumer(config, max);
      ask("ATTACHCOLD " + coldConfig.memoryRoot() + " " + coldConfig.spillRoot() + " " + coldConfig.jobId() + " "
          + coldConfig.node());
      if (!opts.getOrDefault("only", "").equals("shuffle")) {
        transfer();
      }
      shuffleBySize();
      ask("QUIT");
      consumer.waitFor();
    } finally {
      if (consumer != null && consumer.isAlive()) {
        consumer.destroyForcibly();
      }
      dmerge.close();
      cold.close();
      deleteTree(memRoot);
      deleteTree(spillRoot);
    }
    String out = report.toString();
    System.out.print(out);
    if (opts.containsKey("out")) {
      Files.writeString(Path.of(opts.get("out")), out);
    }
  }

  private void startConsumer(ShmConfig c, int max) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:MaxDirectMemorySize=" + (max + 64L * MIB),
        "-cp", System.getProperty("java.class.path"), Consumer.class.getName(), Integer.toString(max)));
    consumer = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    toConsumer = new PrintWriter(consumer.getOutputStream(), true, StandardCharsets.UTF_8);
    fromConsumer = new BufferedReader(new InputStreamReader(consumer.getInputStream(), StandardCharsets.UTF_8));
    ask("ATTACH " + c.memoryRoot() + " " + c.spillRoot() + " " + c.jobId() + " " + c.node());
  }

  private String ask(String command) {
    toConsumer.println(command);
    try {
      String reply = fromConsumer.readLine();
      if (reply == null) {
        throw new IllegalStateException("consumer died on: " + command);
      }
      return reply;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends a timed command; checks the consumer's sum; returns its nanoseconds. */
  private long consumerRun(String command, long expectedSum) {
    String[] r = ask(command).split(" ");
    if (!r[0].equals("RESULT")) {
      throw new IllegalStateException(command + " -> " + String.join(" ", r));
    }
    if (Long.parseLong(r[2]) != expectedSum) {
      throw new IllegalStateException(command + ": consumer read wrong bytes (sum " + r[2] + ", expected " + expectedSum + ")");
    }
    return Long.parseLong(r[1]);
  }

  // ---------------------------------------------------------------------------------------------

  private void transfer() throws Exception {
    // The loopback TCP producer: serves "send me n bytes" requests from the pre-touched source.
    ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    int tcpPort = ((InetSocketAddress) server.getLocalAddress()).getPort();
    Thread tcpProducer = new Thread(() -> serveTcp(server), "tcp-producer");
    tcpProducer.setDaemon(true);
    tcpProducer.start();
    ask("TCP " + tcpPort);
    Resp redis = null;
    if (redisPort > 0) {
      redis = new Resp(redisPort);
      ask("REDIS " + redisPort);
    }

    List<String[]> rows = new ArrayList<>();
    Map<Integer, Map<String, Timing>> all = new LinkedHashMap<>();
    for (int size : sizes) {
      long sum = Sums.sum(src.duplicate().clear().limit(size));
      Map<String, Timing> t = new LinkedHashMap<>();
      int w = warmups(size);
      int n = runs(size);

      // (a) cold rmap. The region is written and registered once (cold job); every run is a new
      // rmap of it by a consumer with no cached mapping (a new ShmDmerge instance), unmap included.
      AccessKey key = AccessKey.random();
      String id = "transfer-" + size;
      RegionMeta meta = cold.register(written(cold, id, size), key);
      String rmapCmd = "RMAPCOLD " + meta.id() + " " + key.toHex() + " " + meta.size();
      t.put("rmap", time(w, n, () -> consumerRun(rmapCmd, sum)));

      // (a') steady state: every run the producer writes a NEW region into a recycled file
      // (claimed from the pool, its mappings cached here), registers it; the consumer rmaps it
      // (its mappings of that file cached there), reads every byte, closes; the producer releases.
      long[] writeNs = new long[n];
      long[] readNs = new long[n];
      long[] releaseNs = new long[n];
      int[] steadyRun = {-w};
      Timing steady = time(w, n, () -> {
        String steadyId = "steady-" + size + "-" + (steadyRun[0] + w);
        long s0 = System.nanoTime();
        RegionMeta m = dmerge.register(written(dmerge, steadyId, size), key);
        long s1 = System.nanoTime();
        long read = consumerRun("RMAP " + m.id() + " " + key.toHex() + " " + m.size(), sum);
        long s2 = System.nanoTime();
        dmerge.release(steadyId);
        long s3 = System.nanoTime();
        if (steadyRun[0] >= 0) {
          writeNs[steadyRun[0]] = s1 - s0;
          readNs[steadyRun[0]] = read;
          releaseNs[steadyRun[0]] = s3 - s2;
        }
        steadyRun[0]++;
        return (s1 - s0) + read + (s3 - s2);
      });
      t.put("steady-write", new Timing(writeNs));
      t.put("steady-rmap", new Timing(readNs));
      t.put("steady-release", new Timing(releaseNs));
      t.put("steady-total", steady);

      // (b) loopback TCP into the consumer's reused buffer.
      t.put("tcp", time(w, n, () -> consumerRun("TCPREAD " + size, sum)));

      // (c) redis: SET by the producer, GET by the consumer.
      if (redis != null) {
        Resp r = redis;
        int chunks = (size + REDIS_CHUNK - 1) / REDIS_CHUNK;
        String prefix = "bench-" + size;
        long[] getNs = new long[n];
        long[] setNs = new long[n];
        int[] run = {-w};
        Timing total = time(w, n, () -> {
          long s0 = System.nanoTime();
          try {
            for (int c = 0; c < chunks; c++) {
              int off = c * REDIS_CHUNK;
              r.set(prefix + ":" + c, src.duplicate().clear().position(off).limit(Math.min(size, off + REDIS_CHUNK)));
            }
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
          long set = System.nanoTime() - s0;
          long get = consumerRun("REDISGET " + prefix + " " + chunks + " " + size, sum);
          if (run[0] >= 0) {
            setNs[run[0]] = set;
            getNs[run[0]] = get;
          }
          run[0]++;
          return set + get;
        });
        t.put("redis", total);
        t.put("redis-set", new Timing(setNs));
        t.put("redis-get", new Timing(getNs));
        r.command("DEL", prefix + ":0");
        for (int c = 1; c < chunks; c++) {
          r.command("DEL", prefix + ":" + c);
        }
      }

      // (d) memcpy between pre-touched direct buffers.
      t.put("memcpy", time(w, n, () -> {
        ByteBuffer from = src.duplicate().clear().limit(size);
        ByteBuffer to = dst.duplicate().clear();
        long s0 = System.nanoTime();
        to.put(from);
        return System.nanoTime() - s0;
      }));
      if (Sums.sum(dst.duplicate().clear().limit(size)) != sum) {
        throw new IllegalStateException("memcpy copied wrong bytes");
      }
      // References: the consumer reading its own resident buffer (the floor of every row), and a
      // producer writing the same bytes into a fresh region and registering it (first-touch cost).
      t.put("read-floor", time(w, n, () -> consumerRun("SUM " + size, sum)));
      int[] fresh = {0};
      t.put("fresh-region-write", time(w, n, () -> {
        String freshId = "fresh-" + size + "-" + fresh[0]++;
        long s0 = System.nanoTime();
        cold.register(written(cold, freshId, size), key);
        long ns = System.nanoTime() - s0;
        cold.release(freshId);
        return ns;
      }));
      cold.release(id);
      all.put(size, t);
      System.err.println("transfer " + size / MIB + " MiB done: " + summary(t));
    }
    if (redis != null) {
      redis.close();
    }
    server.close();
    writeTransferReport(all);
  }

  /** A new region of {@code d} holding the first {@code size} source bytes, in blocks of at most a window. */
  private RegionBuffer written(ShmDmerge d, String id, int size) {
    RegionBuffer b = d.allocate(id);
    for (long off = 0; off < size; off += WINDOW) {
      int len = (int) Math.min(WINDOW, size - off);
      b.block(b.allocate(len), len).put(src.duplicate().clear().position((int) off).limit((int) off + len));
    }
    return b;
  }

  private void serveTcp(ServerSocketChannel server) {
    try (SocketChannel ch = server.accept()) {
      ch.socket().setSendBufferSize(4 << 20);
      ch.socket().setTcpNoDelay(true);
      ByteBuffer req = ByteBuffer.allocate(8);
      while (true) {
        req.clear();
        while (req.hasRemaining()) {
          if (ch.read(req) < 0) {
            return;
          }
        }
        int n = (int) req.getLong(0);
        ByteBuffer out = src.duplicate().clear().limit(n);
        while (out.hasRemaining()) {
          ch.write(out);
        }
      }
    } catch (IOException e) {
      // the consumer hung up
    }
  }

  private static String summary(Map<String, Timing> t) {
    StringBuilder sb = new StringBuilder();
    t.forEach((k, v) -> sb.append(k).append('=').append(ms(v.median())).append("ms "));
    return sb.toString();
  }

  static String ms(long ns) {
    double ms = ns / 1e6;
    return String.format(Locale.ROOT, ms < 1 ? "%.3f" : ms < 100 ? "%.2f" : "%.0f", ms);
  }

  static String gibs(long bytes, long ns) {
    return String.format(Locale.ROOT, "%.2f", bytes / (double) (1L << 30) / (ns / 1e9));
  }

  static String ratio(long a, long b) {
    double r = a / (double) b;
    return String.format(Locale.ROOT, r < 10 ? "%.2fx" : "%.0fx", r);
  }

  private void writeTransferReport(Map<Integer, Map<String, Timing>> all) {
    boolean redis = redisPort > 0;
    report.append("Transfer, memory root " + opts.getOrDefault("shm", "/dev/shm") + ": median ms (GiB/s); the consumer reads every byte in rmap, TCP and Redis\n\n");
    report.append("| size | cold rmap | loopback TCP | Redis SET+GET | Redis GET only | memcpy | consumer read-only floor | producer: fresh region write + register |\n");
    report.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (var e : all.entrySet()) {
      int size = e.getKey();
      Map<String, Timing> t = e.getValue();
      report.append("| ").append(label(size));
      for (String k : List.of("rmap", "tcp", "redis", "redis-get", "memcpy", "read-floor", "fresh-region-write")) {
        Timing x = t.get(k);
        report.append(" | ").append(x == null ? "n/a" : ms(x.median()) + " (" + gibs(size, x.median()) + ")");
      }
      report.append(" |\n");
    }
    report.append("\nSteady state (recycled region files, mappings cached in both processes): each run a new region; "
        + "median ms (GiB/s)\n\n");
    report.append("| size | producer: allocate (claim) + write + register | consumer: rmap + read every byte + close "
        + "| producer: release | together | memcpy |\n");
    report.append("|---:|---:|---:|---:|---:|---:|\n");
    for (var e : all.entrySet()) {
      int size = e.getKey();
      Map<String, Timing> t = e.getValue();
      report.append("| ").append(label(size));
      for (String k : List.of("steady-write", "steady-rmap", "steady-release", "steady-total", "memcpy")) {
        Timing x = t.get(k);
        report.append(" | ").append(ms(x.median()) + " (" + gibs(size, x.median()) + ")");
      }
      report.append(" |\n");
    }
    report.append("\nRatios (median / median; >1x means rmap is faster), best-of-runs ratio in brackets. "
        + "cold = a new mapping of a resident region; steady = consumer rmap + read of a new region in a recycled file; "
        + "together = steady producer write + register + consumer rmap + read + release\n\n");
    report.append("| size | Redis / cold rmap | TCP / cold rmap | cold rmap / memcpy | Redis / steady rmap "
        + "| TCP / steady rmap | steady rmap / memcpy | steady rmap / read-only floor | Redis / together "
        + "| TCP / together | together / memcpy |\n");
    report.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (var e : all.entrySet()) {
      Map<String, Timing> t = e.getValue();
      Timing rmap = t.get("rmap");
      Timing steady = t.get("steady-rmap");
      Timing together = t.get("steady-total");
      report.append("| ").append(label(e.getKey()));
      report.append(" | ").append(redis ? both(t.get("redis"), rmap) : "n/a");
      report.append(" | ").append(both(t.get("tcp"), rmap));
      report.append(" | ").append(both(rmap, t.get("memcpy")));
      report.append(" | ").append(redis ? both(t.get("redis"), steady) : "n/a");
      report.append(" | ").append(both(t.get("tcp"), steady));
      report.append(" | ").append(both(steady, t.get("memcpy")));
      report.append(" | ").append(both(steady, t.get("read-floor")));
      report.append(" | ").append(redis ? both(t.get("redis"), together) : "n/a");
      report.append(" | ").append(both(t.get("tcp"), together));
      report.append(" | ").append(both(together, t.get("memcpy")));
      report.append(" |\n");
    }
    report.append("\nRuns per case: ");
    for (int size : all.keySet()) {
      report.append(label(size)).append(": ").append(warmups(size)).append(" warm-up + ").append(runs(size)).append("; ");
    }
    report.append("\n\n");
  }

  private static String both(Timing a, Timing b) {
    return ratio(a.median(), b.median()) + " [" + ratio(a.best(), b.best()) + "]";
  }

  static String label(long size) {
    return size >= (1 << 30) ? size / (1 << 30) + " GiB" : size / MIB + " MiB";
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * The shuffle once per value size of {@code --value-bytes} (default 80,1000,16000: records of
   * about 100 bytes, 1 KiB and 16 KiB), each with about {@code --shuffle-mib} of payload (default:
   * 15/16 of the largest transfer size, so that the random value lengths stay within the memcpy
   * buffers), then a summary table of the ratios.
   */
  private void shuffleBySize() {
    long payloadMib = Long.parseLong(opts.getOrDefault("shuffle-mib", Integer.toString(dst.capacity() / MIB / 16 * 15)));
    StringBuilder summary = new StringBuilder(
        "Shuffle by record size, steady state (write + read) / memcpy, median [best]:\n\n"
            + "| record bytes (key + value) | records | write / memcpy | read / memcpy | total / memcpy |\n"
            + "|---|---:|---:|---:|---:|\n");
    for (String v : opts.getOrDefault("value-bytes", "80,1000,16000").split(",")) {
      int valueBytes = Integer.parseInt(v);
      // 12-byte key, value of valueBytes to valueBytes + 16 bytes: 20 + valueBytes on average.
      int records = (int) (payloadMib * MIB / (20 + valueBytes));
      SteadyShuffle t = shuffle(records, valueBytes);
      summary.append(String.format(Locale.ROOT, "| %d-%d | %,d | %s | %s | %s |\n", 12 + valueBytes, 28 + valueBytes,
          records, both(t.write(), t.memcpy()), both(t.read(), t.memcpy()), both(t.total(), t.memcpy())));
    }
    report.append(summary).append('\n');
  }

  /** The steady-state timings of one record size, and memcpy of its payload. */
  record SteadyShuffle(Timing write, Timing read, Timing total, Timing memcpy) {}

  /** One record size: appends the rows of its table; returns its steady-state timings. */
  private SteadyShuffle shuffle(int records, int valueBytes) {
    int partitions = Integer.parseInt(opts.getOrDefault("partitions", "64"));
    int blockBytes = Integer.parseInt(opts.getOrDefault("block", "65536"));
    // A pool of records (12-byte key, value of valueBytes to valueBytes + 16 bytes), reused round robin.
    SplittableRandom rnd = new SplittableRandom(1);
    int pool = 4096;
    byte[][] keys = new byte[pool][];
    byte[][] values = new byte[pool][];
    int[] parts = new int[pool];
    long payload = 0;
    for (int i = 0; i < pool; i++) {
      keys[i] = new byte[12];
      values[i] = new byte[valueBytes + rnd.nextInt(17)];
      rnd.nextBytes(keys[i]);
      rnd.nextBytes(values[i]);
      parts[i] = rnd.nextInt(partitions);
    }
    for (int i = 0; i < records; i++) {
      payload += keys[i % pool].length + values[i % pool].length;
    }
    final long payloadBytes = payload;
    if (payloadBytes > dst.capacity()) {
      throw new IllegalArgumentException("payload " + payloadBytes + " exceeds the memcpy buffers");
    }
    long[] segmentBytes = {0};
    AccessKey key = AccessKey.random();
    // One shuffle run: write the records into a new region of d, register, rmap (in this process),
    // read every record, release. Returns {write ns, read ns}.
    java.util.function.BiFunction<ShmDmerge, String, long[]> oneShuffle = (d, id) -> {
      long t0 = System.nanoTime();
      RegionBuffer region = d.allocate(id);
      SegmentWriter w = new SegmentWriter(region, partitions, blockBytes);
      for (int i = 0; i < records; i++) {
        int j = i % pool;
        w.write(parts[j], keys[j], values[j]);
      }
      w.finish();
      RegionMeta meta = d.register(region, key);
      long t1 = System.nanoTime();
      long n = 0;
      long bytes = 0;
      long check = 0;
      try (MappedRegion m = d.rmap(meta, key)) {
        SegmentReader reader = new SegmentReader(m);
        for (int p = 0; p < reader.partitions(); p++) {
          SegmentReader.RecordCursor c = reader.partition(p);
          while (c.next()) {
            ByteBuffer k = c.key();
            ByteBuffer v = c.value();
            n++;
            bytes += k.remaining() + v.remaining();
            check += k.getLong(0) + v.getLong(v.limit() - 8);
          }
        }
      }
      long t2 = System.nanoTime();
      if (n != records || bytes != payloadBytes || check == 42) {
        throw new IllegalStateException("shuffle read " + n + " records, " + bytes + " bytes");
      }
      segmentBytes[0] = meta.size();
      d.release(id);
      return new long[] {t1 - t0, t2 - t1};
    };
    // Steady state: every run writes a new region into the recycled file of the previous run.
    long[] writeNs = new long[5];
    long[] readNs = new long[5];
    int[] run = {-2};
    Timing total = time(2, 5, () -> {
      long[] r = oneShuffle.apply(dmerge, "shuffle-" + (run[0] + 2));
      if (run[0] >= 0) {
        writeNs[run[0]] = r[0];
        readNs[run[0]] = r[1];
      }
      run[0]++;
      return r[0] + r[1];
    });
    // Cold: every run writes a fresh region file (fresh pages), unlinked at release. The rmap in
    // this same process still reads through the producer's windows (no new mapping, no faults).
    long[] coldWriteNs = new long[5];
    long[] coldReadNs = new long[5];
    int[] coldRun = {-2};
    Timing coldTotal = time(2, 5, () -> {
      long[] r = oneShuffle.apply(cold, "shuffle-cold-" + (coldRun[0] + 2));
      if (coldRun[0] >= 0) {
        coldWriteNs[coldRun[0]] = r[0];
        coldReadNs[coldRun[0]] = r[1];
      }
      coldRun[0]++;
      return r[0] + r[1];
    });
    int size = (int) payloadBytes;
    Timing memcpy = time(3, 5, () -> {
      ByteBuffer from = src.duplicate().clear().limit(size);
      ByteBuffer to = dst.duplicate().clear();
      long s0 = System.nanoTime();
      to.put(from);
      return System.nanoTime() - s0;
    });
    // The floor under the writer: copying the segment's bytes into a fresh region (first touch).
    long segBytes = segmentBytes[0];
    int[] fresh = {0};
    Timing freshCopy = time(2, 5, () -> {
      String freshId = "shuffle-fresh-" + fresh[0]++;
      long s0 = System.nanoTime();
      RegionBuffer b = cold.allocate(freshId);
      for (long off = 0; off < segBytes; off += WINDOW) {
        int len = (int) Math.min(WINDOW, segBytes - off);
        int from = (int) (off % (src.capacity() - len + 1));
        b.block(b.allocate(len), len).put(src.duplicate().clear().position(from).limit(from + len));
      }
      cold.register(b, key);
      long ns = System.nanoTime() - s0;
      cold.release(freshId);
      return ns;
    });
    Timing write = new Timing(writeNs);
    Timing read = new Timing(readNs);
    System.err.println("shuffle done: total=" + ms(total.median()) + "ms memcpy=" + ms(memcpy.median()) + "ms");
    report.append(String.format(Locale.ROOT,
        "Shuffle: %,d records (12-byte key, %d-%d-byte value) into %d partitions, %d KiB blocks; "
            + "payload %.1f MiB, segment %.1f MiB; median of 5 after 2 warm-up runs; "
            + "the producer and the consumer are the same process here; release is not timed\n\n",
        records, valueBytes, valueBytes + 16, partitions, blockBytes / 1024, payloadBytes / (double) MIB,
        segmentBytes[0] / (double) MIB));
    report.append("| step | median ms | GiB/s of payload | / memcpy of the payload |\n|---|---:|---:|---:|\n");
    report.append(row("steady: SegmentWriter into a new region in a recycled file (allocate + write + register)", write, payloadBytes, memcpy));
    report.append(row("steady: rmap + SegmentReader (CRC32C of every block) reading all records + close", read, payloadBytes, memcpy));
    report.append(row("steady: shuffle total (write + read)", total, payloadBytes, memcpy));
    report.append(row("cold: SegmentWriter into a fresh region file + register", new Timing(coldWriteNs), payloadBytes, memcpy));
    report.append(row("cold: rmap (the producer's windows, same process) + SegmentReader reading all records + close", new Timing(coldReadNs), payloadBytes, memcpy));
    report.append(row("cold: shuffle total (write + read)", coldTotal, payloadBytes, memcpy));
    report.append(row("memcpy of the payload bytes (pre-touched)", memcpy, payloadBytes, memcpy));
    report.append(row("reference: memcpy of the segment bytes into a fresh region + register", freshCopy, payloadBytes, memcpy));
    report.append('\n');
    return new SteadyShuffle(write, read, total, memcpy);
  }

  private static String row(String name, Timing t, long bytes, Timing memcpy) {
    return "| " + name + " | " + ms(t.median()) + " | " + gibs(bytes, t.median()) + " | " + ratio(t.median(), memcpy.median()) + " |\n";
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
