package io.dmerge.bench;

import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The consumer process. Reads one command per line on stdin, answers {@code RESULT nanos sum} (or
 * {@code OK}) on stdout. Its receive buffer is allocated once and reused, so TCP and Redis write
 * into pre-touched memory, as rmap reads already-resident tmpfs pages.
 */
public final class Consumer {
  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    int maxBytes = Integer.parseInt(args[0]);
    ByteBuffer receive = ByteBuffer.allocateDirect(maxBytes); // zeroed by the JVM: touched
    ShmDmerge dmerge = null;
    ShmConfig coldConfig = null;
    SocketChannel tcp = null;
    Resp redis = null;
    String line;
    while ((line = in.readLine()) != null) {
      String[] a = line.split(" ");
      switch (a[0]) {
        case "ATTACH" -> {
          dmerge = ShmDmerge.attach(new ShmConfig(a[3], Path.of(a[1]), Path.of(a[2]), Long.MAX_VALUE, a[4]));
          out.println("OK");
        }
        case "ATTACHCOLD" -> {
          coldConfig = new ShmConfig(a[3], Path.of(a[1]), Path.of(a[2]), Long.MAX_VALUE, a[4]);
          out.println("OK");
        }
        case "RMAP" -> {
          // Steady state: the long-lived instance keeps its mappings of recycled files between runs.
          RegionMeta meta = new RegionMeta(dmerge.node(), a[1], Long.parseLong(a[3]));
          AccessKey key = AccessKey.fromHex(a[2]);
          long t0 = System.nanoTime();
          long sum = readAll(dmerge, meta, key);
          long t1 = System.nanoTime();
          out.println("RESULT " + (t1 - t0) + " " + sum);
        }
        case "RMAPCOLD" -> {
          // Cold: a new instance, so no cached mapping; closing it unmaps (timed, as before recycling).
          RegionMeta meta = new RegionMeta(coldConfig.node(), a[1], Long.parseLong(a[3]));
          AccessKey key = AccessKey.fromHex(a[2]);
          long t0 = System.nanoTime();
          long sum;
          try (ShmDmerge fresh = ShmDmerge.attach(coldConfig)) {
            sum = readAll(fresh, meta, key);
          }
          long t1 = System.nanoTime();
          out.println("RESULT " + (t1 - t0) + " " + sum);
        }
        case "TCP" -> {
          tcp = SocketChannel.open(new InetSocketAddress("127.0.0.1", Integer.parseInt(a[1])));
          tcp.socket().setReceiveBufferSize(4 << 20);
          out.println("OK");
        }
        case "TCPREAD" -> {
          int size = Integer.parseInt(a[1]);
          long t0 = System.nanoTime();
          ByteBuffer req = ByteBuffer.allocate(8).putLong(0, size);
          while (req.hasRemaining()) {
            tcp.write(req);
          }
          ByteBuffer dst = receive.duplicate().clear().limit(size);
          while (dst.hasRemaining()) {
            if (tcp.read(dst) < 0) {
              throw new IllegalStateException("producer closed the socket");
            }
          }
          long sum = Sums.sum(receive.duplicate().clear().limit(size));
          long t1 = System.nanoTime();
          out.println("RESULT " + (t1 - t0) + " " + sum);
        }
        case "REDIS" -> {
          redis = new Resp(Integer.parseInt(a[1]));
          out.println("OK");
        }
        case "REDISGET" -> {
          // REDISGET keyPrefix chunks size
          String prefix = a[1];
          int chunks = Integer.parseInt(a[2]);
          int size = Integer.parseInt(a[3]);
          long t0 = System.nanoTime();
          int got = 0;
          for (int c = 0; c < chunks; c++) {
            got += redis.get(prefix + ":" + c, receive.duplicate().clear().position(got));
          }
          if (got != size) {
            throw new IllegalStateException("redis returned " + got + " of " + size + " bytes");
          }
          long sum = Sums.sum(receive.duplicate().clear().limit(size));
          long t1 = System.nanoTime();
          out.println("RESULT " + (t1 - t0) + " " + sum);
        }
        case "SUM" -> {
          // Reading the consumer's own resident buffer: the floor under every row.
          int size = Integer.parseInt(a[1]);
          long t0 = System.nanoTime();
          long sum = Sums.sum(receive.duplicate().clear().limit(size));
          long t1 = System.nanoTime();
          out.println("RESULT " + (t1 - t0) + " " + sum);
        }
        case "QUIT" -> {
          if (tcp != null) {
            tcp.close();
          }
          if (redis != null) {
            redis.close();
          }
          if (dmerge != null) {
            dmerge.close();
          }
          out.println("OK");
          return;
        }
        default -> throw new IllegalArgumentException(line);
      }
    }
  }

  /** rmap, read every byte (sum as longs), close. */
  private static long readAll(ShmDmerge d, RegionMeta meta, AccessKey key) {
    long sum = 0;
    try (MappedRegion region = d.rmap(meta, key)) {
      long size = region.size();
      for (long off = 0; off < size; off += Bench.WINDOW) {
        sum += Sums.sum(region.slice(off, (int) Math.min(Bench.WINDOW, size - off)));
      }
    }
    return sum;
  }
}
