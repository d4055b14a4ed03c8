package io.dmerge.examples.wordcount;

import io.dmerge.examples.testing.ExampleRunners;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class WordCountTest {

  @TempDir Path tmp;

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> runners() {
    return ExampleRunners.selected();
  }

  /** Independent word definition: a hand-written scanner equivalent to [a-z]+('[a-z]+)*. */
  static List<String> referenceWords(String line) {
    String s = line.replace('\u2019', '\'').toLowerCase(Locale.ROOT);
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean letter = c >= 'a' && c <= 'z';
      if (letter) {
        cur.append(c);
      } else if (c == '\'' && cur.length() > 0 && i + 1 < s.length()
          && s.charAt(i + 1) >= 'a' && s.charAt(i + 1) <= 'z') {
        cur.append(c);
      } else if (cur.length() > 0) {
        out.add(cur.toString());
        cur.setLength(0);
      }
    }
    if (cur.length() > 0) {
      out.add(cur.toString());
    }
    return out;
  }

  /** Expected sorted "word: count" lines, computed with plain Java collections. */
  static List<String> referenceCounts(List<String> lines) {
    Map<String, Long> counts = new TreeMap<>();
    for (String l : lines) {
      for (String w : referenceWords(l)) {
        counts.merge(w, 1L, Long::sum);
      }
    }
    List<String> out = new ArrayList<>();
    counts.forEach((w, c) -> out.add(w + ": " + c));
    out.sort(null);
    return out;
  }

  static List<String> embeddedLines() throws IOException {
    try (InputStream in =
        new GZIPInputStream(WordCount.class.getResourceAsStream(WordCount.DEFAULT_INPUT_RESOURCE))) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return Arrays.asList(text.split("\n", -1));
    }
  }

  @Test
  void tokenizerFollowsDocumentedRules() {
    assertEquals(
        List.of("it", "is", "a", "truth", "universally", "acknowledged"),
        Tokenizer.words("It is a truth universally acknowledged,"));
    assertEquals(
        List.of("don't", "elizabeth's", "o", "twas", "x", "y", "z"),
        Tokenizer.words("Don't -- ELIZABETH\u2019S 'O' 'twas _x_ y2z"));
    assertEquals(List.of("caf", "b"), Tokenizer.words("Caf\u00e9 ''b'' 1811"));
    for (String s : new String[] {"a''b", "'tis", "rock 'n' roll", "o'clock's", "x'"}) {
      assertEquals(referenceWords(s), Tokenizer.words(s), s);
    }
  }

  @Test
  void embeddedCorpusIsAusten() throws IOException {
    List<String> lines = embeddedLines();
    assertEquals("SENSE AND SENSIBILITY", lines.get(0));
    assertTrue(lines.size() > 70_000);
    assertTrue(lines.stream().anyMatch(l -> l.contains("It is a truth universally acknowledged")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runners")
  void countsMatchPlainJava(String name, String[] runnerArgs) throws IOException {
    // A slice (1,500 lines) of the real corpus plus tricky lines; 3 shards to exercise sharded output.
    List<String> input = new ArrayList<>(embeddedLines().subList(0, 1500));
    input.addAll(List.of("", "Don't DON'T don't -- 'quoted' words' ''", "caf\u00e9 na\u00efve 42 x_y"));
    Path in = tmp.resolve("in.txt");
    Files.write(in, input, StandardCharsets.UTF_8);
    String out = tmp.resolve("out/counts").toString();
    WordCountOptions options =
        PipelineOptionsFactory.fromArgs(
                ExampleRunners.args(
                    runnerArgs, "--input=" + in, "--output=" + out, "--numShards=3"))
            .withValidation()
            .as(WordCountOptions.class);
    assertEquals(PipelineResult.State.DONE, WordCount.run(options));
    assertEquals(3, SortedOutput.shards(out).size());
    assertEquals(referenceCounts(input), SortedOutput.readSorted(out));
  }

  /**
   * The whole embedded corpus (about 800k words) through the default-input path. Off by default:
   * it takes about a minute on the DirectRunner. Enable with {@code -Ddmerge.examples.full=true}.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("runners")
  @EnabledIfSystemProperty(named = "dmerge.examples.full", matches = "true")
  void defaultInputIsTheWholeEmbeddedCorpus(String name, String[] runnerArgs) throws IOException {
    String out = tmp.resolve("default/out").toString();
    Path sorted = tmp.resolve("sorted.txt");
    WordCountOptions options =
        PipelineOptionsFactory.fromArgs(
                ExampleRunners.args(
                    runnerArgs, "--output=" + out, "--numShards=2", "--sortedOutput=" + sorted))
            .withValidation()
            .as(WordCountOptions.class);
    assertEquals(PipelineResult.State.DONE, WordCount.run(options));
    List<String> expected = referenceCounts(embeddedLines());
    StringBuilder sb = new StringBuilder();
    expected.forEach(l -> sb.append(l).append('\n'));
    assertEquals(sb.toString(), Files.readString(sorted, StandardCharsets.UTF_8));
    List<String> top = WordCount.topWords(expected, 3);
    assertEquals(List.of("the", "to", "and"),
        top.stream().map(l -> l.substring(0, l.indexOf(':'))).toList());
  }

  @Test
  void generatorIsDeterministicAndZipfian() throws IOException {
    ByteArrayOutputStream a = new ByteArrayOutputStream();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    long n = new WordCountInputGenerator(7, 1000, 1.0).write(a, 200_000);
    new WordCountInputGenerator(7, 1000, 1.0).write(b, 200_000);
    assertArrayEquals(a.toByteArray(), b.toByteArray());
    assertEquals(n, a.size());
    assertTrue(n >= 200_000 && n < 200_000 + 1000, "size " + n);
    String text = a.toString(StandardCharsets.US_ASCII);
    assertTrue(text.endsWith("\n"));
    ByteArrayOutputStream c = new ByteArrayOutputStream();
    new WordCountInputGenerator(8, 1000, 1.0).write(c, 200_000);
    assertTrue(!Arrays.equals(a.toByteArray(), c.toByteArray()), "seed must matter");

    // Generated words survive the tokenizer unchanged; rank-1 word is the most frequent and
    // roughly twice as frequent as rank 2 (Zipf, exponent 1).
    List<String> lines = Arrays.asList(text.split("\n"));
    Map<String, Long> counts = new TreeMap<>();
    long words = 0;
    for (String l : lines) {
      List<String> ws = Tokenizer.words(l);
      assertEquals(Arrays.asList(l.split(" ")), ws);
      for (String w : ws) {
        counts.merge(w, 1L, Long::sum);
        words++;
      }
    }
    String w0 = WordCountInputGenerator.wordOfRank(0);
    String w1 = WordCountInputGenerator.wordOfRank(1);
    long max = counts.values().stream().mapToLong(Long::longValue).max().orElseThrow();
    assertEquals(max, counts.get(w0));
    double ratio = (double) counts.get(w0) / counts.get(w1);
    assertTrue(ratio > 1.8 && ratio < 2.2, "ratio " + ratio);
    double h1000 = 0;
    for (int r = 1; r <= 1000; r++) {
      h1000 += 1.0 / r;
    }
    double share = (double) counts.get(w0) / words;
    assertEquals(1 / h1000, share, 0.01);
  }

  @Test
  void sortedOutputReadsOnlyItsOwnShards() throws IOException {
    Files.write(tmp.resolve("out-00001-of-00002"), List.of("b: 1", "a: 2"));
    Files.write(tmp.resolve("out-00000-of-00002"), List.of("c: 3"));
    Files.write(tmp.resolve("out-auto-00000-of-00001"), List.of("x: 9"));
    Files.write(tmp.resolve("outer-00000-of-00001"), List.of("y: 9"));
    String prefix = tmp.resolve("out").toString();
    assertEquals(2, SortedOutput.shards(prefix).size());
    assertEquals(List.of("a: 2", "b: 1", "c: 3"), SortedOutput.readSorted(prefix));
    Path sorted = tmp.resolve("sorted.txt");
    SortedOutput.writeSorted(prefix, sorted);
    assertEquals("a: 2\nb: 1\nc: 3\n", Files.readString(sorted));
    assertEquals(List.of("c: 3", "a: 2"), WordCount.topWords(SortedOutput.readSorted(prefix), 2));
  }

  @Test
  void wordsOfRankAreDistinct() {
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int r = 0; r < 20_000; r++) {
      assertTrue(seen.add(WordCountInputGenerator.wordOfRank(r)));
    }
    assertEquals("ba", WordCountInputGenerator.wordOfRank(0));
    assertEquals("babA".toLowerCase(Locale.ROOT), WordCountInputGenerator.wordOfRank(95));
  }
}
