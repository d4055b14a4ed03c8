package io.dmerge.bench.wordcount;

import io.dmerge.examples.wordcount.Tokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The hand-written baseline of the word count benchmark: plain Java, no Beam.
 *
 * <pre>
 * HandWrittenWordCount --input=/tmp/wc-100m.txt --output=/tmp/out.txt [--threads=2]
 * </pre>
 *
 * <p>The file is cut into {@code --threads} byte ranges of about equal size, each ending at a line
 * boundary. Every thread reads its range with positional {@link FileChannel} reads into a reused
 * 4 MiB heap buffer, decodes each line as UTF-8 (as TextIO does), tokenizes it with the example's
 * own {@link Tokenizer} (the identical rule, not a copy of it) and counts in its own {@link
 * HashMap} with mutable counters. The maps are then merged and written as {@code "word: count"}
 * lines, unsorted, to one file (like a single pipeline output shard). Timing is printed to stderr.
 *
 * <p>Line terminators: lines are cut at {@code '\n'} and a trailing {@code '\r'} is dropped. A lone
 * {@code '\r'} (which TextIO also treats as a line end) stays inside the line, which does not change
 * any count, because {@code '\r'} is not a word character and the tokenizer lower-cases per character.
 */
public final class HandWrittenWordCount {
  private static final int BUFFER_BYTES = 4 << 20;

  /** A mutable count, so that counting does not box. */
  static final class Counter {
    long n;
  }

  private HandWrittenWordCount() {}

  /**
   * Cuts {@code [0, size)} into {@code parts} ranges that start at line starts: boundary i is the
   * first line start at or after {@code size * i / parts}. Returns {@code parts + 1} offsets.
   */
  static long[] lineAlignedSplits(FileChannel ch, long size, int parts) throws IOException {
    long[] b = new long[parts + 1];
    b[parts] = size;
    ByteBuffer probe = ByteBuffer.allocate(64 * 1024);
    for (int i = 1; i < parts; i++) {
      long target = Math.max(size * i / parts, b[i - 1]);
      b[i] = nextLineStart(ch, size, target, probe);
    }
    return b;
  }

  /** The smallest {@code p >= target} with {@code p == 0 || p == size || byte[p-1] == '\n'}. */
  private static long nextLineStart(FileChannel ch, long size, long target, ByteBuffer probe)
      throws IOException {
    if (target <= 0) {
      return 0;
    }
    long pos = target - 1; // byte[target-1] == '\n' means target itself is a line start
    while (pos < size) {
      probe.clear();
      int n = ch.read(probe, pos);
      if (n <= 0) {
        break;
      }
      for (int i = 0; i < n; i++) {
        if (probe.get(i) == '\n') {
          return pos + i + 1;
        }
      }
      pos += n;
    }
    return size;
  }

  /** Counts the words of the lines in {@code [start, end)} of {@code ch}. */
  static Map<String, Counter> countRange(FileChannel ch, long start, long end) throws IOException {
    Map<String, Counter> counts = new HashMap<>(1 << 18);
    Consumer<String> sink =
        w -> {
          Counter c = counts.get(w);
          if (c == null) {
            c = new Counter();
            counts.put(w, c);
          }
          c.n++;
        };
    byte[] buf = new byte[BUFFER_BYTES];
    int filled = 0; // bytes of buf holding data; [0, filled) starts at a line start
    long pos = start;
    while (pos < end) {
      if (filled == buf.length) { // a line longer than the buffer: grow it
        buf = java.util.Arrays.copyOf(buf, buf.length * 2);
      }
      ByteBuffer bb = ByteBuffer.wrap(buf, filled, (int) Math.min(buf.length - filled, end - pos));
      int n = ch.read(bb, pos);
      if (n <= 0) {
        throw new IOException("unexpected end of file at " + pos);
      }
      pos += n;
      filled += n;
      int lineStart = 0;
      for (int i = 0; i < filled; i++) {
        if (buf[i] == '\n') {
          emitLine(buf, lineStart, i, sink);
          lineStart = i + 1;
        }
      }
      // Keep the incomplete last line for the next read.
      System.arraycopy(buf, lineStart, buf, 0, filled - lineStart);
      filled -= lineStart;
    }
    if (filled > 0) { // the file's last line has no '\n'
      emitLine(buf, 0, filled, sink);
    }
    return counts;
  }

  private static void emitLine(byte[] buf, int from, int to, Consumer<String> sink) {
    if (to > from && buf[to - 1] == '\r') {
      to--;
    }
    if (to > from) {
      Tokenizer.forEachWord(new String(buf, from, to - from, StandardCharsets.UTF_8), sink);
    }
  }

  /** Milliseconds each counting thread of the last {@link #count} took (diagnostics). */
  static volatile long[] lastThreadMillis = new long[0];

  /** Counts the words of {@code input} with {@code threads} threads. */
  public static Map<String, Counter> count(Path input, int threads) throws Exception {
    try (FileChannel ch = FileChannel.open(input, StandardOpenOption.READ)) {
      long size = ch.size();
      long[] splits = lineAlignedSplits(ch, size, threads);
      List<Thread> workers = new ArrayList<>();
      List<Map<String, Counter>> results = new ArrayList<>();
      long[] millis = new long[threads];
      Throwable[] failure = new Throwable[1];
      for (int t = 0; t < threads; t++) {
        results.add(null);
        final int part = t;
        Thread w =
            new Thread(
                () -> {
                  try {
                    long t0 = System.nanoTime();
                    results.set(part, countRange(ch, splits[part], splits[part + 1]));
                    millis[part] = (System.nanoTime() - t0) / 1_000_000;
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                },
                "count-" + t);
        w.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
        workers.add(w);
        w.start();
      }
      for (Thread w : workers) {
        w.join();
      }
      if (failure[0] != null) {
        throw new RuntimeException("a counting thread failed", failure[0]);
      }
      lastThreadMillis = millis;
      // Merge the smaller maps into the largest one.
      Map<String, Counter> total = results.get(0);
      for (Map<String, Counter> m : results) {
        if (m.size() > total.size()) {
          total = m;
        }
      }
      for (Map<String, Counter> m : results) {
        if (m == total) {
          continue;
        }
        for (Map.Entry<String, Counter> e : m.entrySet()) {
          Counter c = total.putIfAbsent(e.getKey(), e.getValue());
          if (c != null) {
            c.n += e.getValue().n;
          }
        }
      }
      return total;
    }
  }

  /** Writes {@code "word: count"} lines ('\n'-terminated, UTF-8) in map order. */
  public static void write(Map<String, Counter> counts, Path output) throws IOException {
    if (output.toAbsolutePath().getParent() != null) {
      Files.createDirectories(output.toAbsolutePath().getParent());
    }
    try (Writer out =
        new BufferedWriter(Files.newBufferedWriter(output, StandardCharsets.UTF_8), 1 << 20)) {
      for (Map.Entry<String, Counter> e : counts.entrySet()) {
        out.write(e.getKey());
        out.write(": ");
        out.write(Long.toString(e.getValue().n));
        out.write('\n');
      }
    }
  }

  public static void main(String[] args) throws Exception {
    String input = null;
    String output = null;
    int threads = 2;
    for (String a : args) {
      String[] kv = a.replaceFirst("^--", "").split("=", 2);
      if (kv.length != 2) {
        usage("bad argument: " + a);
      }
      switch (kv[0]) {
        case "input" -> input = kv[1];
        case "output" -> output = kv[1];
        case "threads" -> threads = Integer.parseInt(kv[1]);
        default -> usage("unknown argument: " + a);
      }
    }
    if (input == null || output == null || threads < 1) {
      usage("--input and --output are required; --threads must be >= 1");
    }
    long t0 = System.nanoTime();
    Map<String, Counter> counts = count(Paths.get(input), threads);
    long t1 = System.nanoTime();
    write(counts, Paths.get(output));
    long t2 = System.nanoTime();
    long words = 0;
    for (Counter c : counts.values()) {
      words += c.n;
    }
    System.err.printf(
        "HandWrittenWordCount: %,d words, %,d distinct, %d threads: count %d ms (threads %s ms),"
            + " write %d ms%n",
        words,
        counts.size(),
        threads,
        (t1 - t0) / 1_000_000,
        java.util.Arrays.toString(lastThreadMillis),
        (t2 - t1) / 1_000_000);
  }

  private static void usage(String msg) {
    System.err.println(msg);
    System.err.println("usage: HandWrittenWordCount --input=path --output=path [--threads=2]");
    System.exit(2);
  }
}
