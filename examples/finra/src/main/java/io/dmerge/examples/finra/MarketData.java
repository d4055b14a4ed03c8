package io.dmerge.examples.finra;

import java.util.ArrayList;
import java.util.List;

/**
 * Deterministic "market-data feed": the day's quotes as CSV rows, generated in independent shards
 * (so fetching 1 GiB parallelizes). Everything is a pure function of (seed, symbol, time, seq).
 *
 * <p>Quote {@code j} of {@code n} is for symbol {@code j % symbols} at second {@code 34200 +
 * j*23400/n} (09:30 to 16:00); its mid price follows {@link #midCents} with +-0.1% noise, a spread
 * of about 0.05% and a volume of 100..5000 shares. Average row length is about 37 bytes.
 */
public final class MarketData {
  public static final int OPEN = 34_200; // 09:30
  public static final int DAY = 23_400; // 6.5 hours
  public static final int ROW_BYTES = 37; // measured average CSV row length, for sizing
  public static final long SHARD_BYTES = 1L << 20;

  private MarketData() {}

  /** SplitMix64 finalizer. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** A uniform double in [0, 1) determined by the arguments. */
  public static double unit(long seed, long a, long b) {
    long h = mix(mix(mix(seed) + a) + b);
    return (h >>> 11) * 0x1.0p-53;
  }

  /** Unique 3-letter ticker of symbol index {@code s} (s < 17576). */
  public static String ticker(int s) {
    int v = (int) ((s * 7919L + 1234) % 17_576);
    char[] c = new char[3];
    for (int i = 2; i >= 0; i--) {
      c[i] = (char) ('A' + v % 26);
      v /= 26;
    }
    return new String(c);
  }

  /** Previous close of symbol {@code s}: log-uniform in $1..$500 (about 25% are under $5). */
  public static long basePriceCents(long seed, int s) {
    double u = unit(seed, 11, s);
    return Math.round(100 * StrictMath.exp(u * StrictMath.log(500)));
  }

  /** Noise-free mid price of symbol {@code s} at second {@code t}. */
  public static long midCents(long seed, int s, int t) {
    double base = basePriceCents(seed, s);
    double drift = (unit(seed, 12, s) - 0.5) * 0.06; // -3%..+3% over the day
    double period = 1800 + unit(seed, 13, s) * 7200;
    double x = (t - OPEN) / (double) DAY;
    double m = base * (1 + drift * x + 0.01 * StrictMath.sin(2 * Math.PI * (t - OPEN) / period));
    return Math.max(1, Math.round(m));
  }

  /** Number of quotes for a feed of {@code megabytes} MiB. */
  public static long quoteCount(double megabytes) {
    return Math.max(1, Math.round(megabytes * (1 << 20) / ROW_BYTES));
  }

  /** Number of 1 MiB shards for {@code megabytes} MiB (at least 1). */
  public static int shardCount(double megabytes) {
    return (int) Math.max(1, Math.ceil(megabytes * (1 << 20) / SHARD_BYTES));
  }

  /** Quote {@code j} of {@code n}. */
  public static Quote quote(long seed, int symbols, long n, long j) {
    int s = (int) (j % symbols);
    int t = OPEN + (int) (j * DAY / n);
    long mid = midCents(seed, s, t);
    double noise = (unit(seed, 21, j) - 0.5) * 0.002;
    long last = Math.max(1, Math.round(mid * (1 + noise)));
    long halfSpread = Math.max(1, Math.round(mid * 0.00025));
    long bid = Math.max(1, mid - halfSpread);
    long ask = mid + halfSpread;
    long volume = 100 + 100 * (long) (unit(seed, 22, j) * 50);
    return new Quote(j, ticker(s), t, bid, ask, last, volume);
  }

  /** CSV rows of shard {@code shard} of {@code shards} of an {@code n}-quote feed. */
  public static List<String> shardRows(long seed, int symbols, long n, int shard, int shards) {
    long from = n * shard / shards;
    long to = n * (shard + 1) / shards;
    List<String> rows = new ArrayList<>((int) (to - from));
    for (long j = from; j < to; j++) {
      rows.add(quote(seed, symbols, n, j).toCsv());
    }
    return rows;
  }

  /**
   * Writes the generated feed as one CSV file (with header), e.g. to audit it with {@code
   * --marketDataInput}: {@code MarketData <output.csv> [marketDataMb=3] [symbols=200] [seed=42]}.
   */
  public static void main(String[] args) throws java.io.IOException {
    if (args.length < 1) {
      System.err.println("usage: MarketData <output.csv> [marketDataMb=3] [symbols=200] [seed=42]");
      System.exit(2);
    }
    double mb = args.length > 1 ? Double.parseDouble(args[1]) : 3.0;
    int symbols = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    long seed = args.length > 3 ? Long.parseLong(args[3]) : 42;
    long n = quoteCount(mb);
    int shards = shardCount(mb);
    java.nio.file.Path out = java.nio.file.Paths.get(args[0]);
    try (java.io.Writer w =
        new java.io.BufferedWriter(
            new java.io.OutputStreamWriter(
                java.nio.file.Files.newOutputStream(out), java.nio.charset.StandardCharsets.UTF_8),
            1 << 20)) {
      w.write(Quote.HEADER);
      w.write('\n');
      for (int s = 0; s < shards; s++) {
        for (String row : shardRows(seed, symbols, n, s, shards)) {
          w.write(row);
          w.write('\n');
        }
      }
    }
    System.out.printf("wrote %d quotes (%d bytes) to %s%n", n, java.nio.file.Files.size(out), out);
  }
}
