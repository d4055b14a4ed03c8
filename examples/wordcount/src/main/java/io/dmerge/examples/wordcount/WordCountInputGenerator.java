package io.dmerge.examples.wordcount;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.SplittableRandom;

/**
 * Deterministic, fast generator of word-count benchmark input.
 *
 * <pre>
 * WordCountInputGenerator --sizeMb=500 --output=/tmp/wc-500m.txt [--seed=42] [--vocabulary=100000] [--exponent=1.0]
 * </pre>
 *
 * <p>Words are drawn from a Zipf distribution over a synthetic vocabulary (word of rank r has
 * probability proportional to {@code 1/(r+1)^exponent}) with Vose's alias method and a {@link
 * SplittableRandom} seeded with {@code --seed}, so the same arguments always produce the same bytes.
 * The vocabulary consists of pronounceable lower-case pseudo-words (rank r is r+1 written in
 * bijective base 95 with consonant-vowel syllables), so frequent words are short, as in natural
 * language, and every word survives {@link Tokenizer} unchanged. Lines hold 6-17 words separated by
 * single spaces and end with '\n'. Writing stops at the end of the first line that reaches {@code
 * sizeMb} MiB. Throughput is a few hundred MB/s (bounded by the disk).
 */
public final class WordCountInputGenerator {
  private static final String CONSONANTS = "bcdfghjklmnprstvwxz";
  private static final String VOWELS = "aeiou";

  private final long seed;
  private final byte[][] words;
  private final double[] aliasProb;
  private final int[] alias;

  public WordCountInputGenerator(long seed, int vocabulary, double exponent) {
    if (vocabulary < 1) {
      throw new IllegalArgumentException("vocabulary must be >= 1");
    }
    this.seed = seed;
    this.words = new byte[vocabulary][];
    for (int r = 0; r < vocabulary; r++) {
      words[r] = wordOfRank(r).getBytes(StandardCharsets.US_ASCII);
    }
    double[] w = new double[vocabulary];
    double sum = 0;
    for (int r = 0; r < vocabulary; r++) {
      w[r] = 1.0 / Math.pow(r + 1, exponent);
      sum += w[r];
    }
    // Vose's alias method.
    aliasProb = new double[vocabulary];
    alias = new int[vocabulary];
    double[] scaled = new double[vocabulary];
    Deque<Integer> small = new ArrayDeque<>();
    Deque<Integer> large = new ArrayDeque<>();
    for (int r = 0; r < vocabulary; r++) {
      scaled[r] = w[r] * vocabulary / sum;
      (scaled[r] < 1.0 ? small : large).add(r);
    }
    while (!small.isEmpty() && !large.isEmpty()) {
      int s = small.poll();
      int l = large.poll();
      aliasProb[s] = scaled[s];
      alias[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1.0;
      (scaled[l] < 1.0 ? small : large).add(l);
    }
    while (!large.isEmpty()) {
      aliasProb[large.poll()] = 1.0;
    }
    while (!small.isEmpty()) {
      aliasProb[small.poll()] = 1.0;
    }
  }

  /** The pseudo-word of rank {@code r} (0 = most frequent): r+1 in bijective base 95 (19 consonants x 5 vowels). */
  public static String wordOfRank(int r) {
    int base = CONSONANTS.length() * VOWELS.length();
    StringBuilder sb = new StringBuilder();
    long n = (long) r + 1;
    while (n > 0) {
      n -= 1;
      int d = (int) (n % base);
      sb.append(CONSONANTS.charAt(d / VOWELS.length())).append(VOWELS.charAt(d % VOWELS.length()));
      n /= base;
    }
    return sb.toString();
  }

  /** Writes at least {@code bytes} bytes (whole lines) to {@code out}; returns the bytes written. */
  public long write(OutputStream out, long bytes) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    int n = words.length;
    byte[] buf = new byte[1 << 20];
    int pos = 0;
    long written = 0;
    while (written + pos < bytes) {
      int wordsInLine = 6 + rnd.nextInt(12);
      for (int i = 0; i < wordsInLine; i++) {
        int k = rnd.nextInt(n);
        int r = rnd.nextDouble() < aliasProb[k] ? k : alias[k];
        byte[] word = words[r];
        if (pos + word.length + 1 > buf.length) {
          out.write(buf, 0, pos);
          written += pos;
          pos = 0;
        }
        System.arraycopy(word, 0, buf, pos, word.length);
        pos += word.length;
        buf[pos++] = (byte) (i == wordsInLine - 1 ? '\n' : ' ');
      }
    }
    out.write(buf, 0, pos);
    written += pos;
    return written;
  }

  /** Generates {@code sizeMb} MiB into {@code output}; returns the bytes written. */
  public long writeFile(Path output, long sizeMb) throws IOException {
    if (output.toAbsolutePath().getParent() != null) {
      Files.createDirectories(output.toAbsolutePath().getParent());
    }
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(output), 1 << 20)) {
      return write(out, sizeMb * 1024L * 1024L);
    }
  }

  public static void main(String[] args) throws IOException {
    long sizeMb = -1;
    String output = null;
    long seed = 42;
    int vocabulary = 100_000;
    double exponent = 1.0;
    for (String a : args) {
      String[] kv = a.replaceFirst("^--", "").split("=", 2);
      if (kv.length != 2) {
        usage("bad argument: " + a);
      }
      switch (kv[0]) {
        case "sizeMb" -> sizeMb = Long.parseLong(kv[1]);
        case "output" -> output = kv[1];
        case "seed" -> seed = Long.parseLong(kv[1]);
        case "vocabulary" -> vocabulary = Integer.parseInt(kv[1]);
        case "exponent" -> exponent = Double.parseDouble(kv[1]);
        default -> usage("unknown argument: " + a);
      }
    }
    if (sizeMb < 0 || output == null) {
      usage("--sizeMb and --output are required");
    }
    long start = System.nanoTime();
    long written =
        new WordCountInputGenerator(seed, vocabulary, exponent).writeFile(Paths.get(output), sizeMb);
    double secs = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "wrote %,d bytes to %s in %.2f s (%.0f MB/s; seed=%d vocabulary=%d exponent=%s)%n",
        written, output, secs, written / 1e6 / secs, seed, vocabulary, exponent);
  }

  private static void usage(String msg) {
    System.err.println(msg);
    System.err.println(
        "usage: WordCountInputGenerator --sizeMb=N --output=path [--seed=42] [--vocabulary=100000]"
            + " [--exponent=1.0]");
    System.exit(2);
  }
}
