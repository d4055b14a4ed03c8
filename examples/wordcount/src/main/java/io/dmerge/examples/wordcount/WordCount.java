package io.dmerge.examples.wordcount;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Classic word count, runnable unchanged on any Beam runner.
 *
 * <pre>
 * TextIO.read --> ExtractWords (see {@link Tokenizer}) --> Count.perElement --> "word: count" --> TextIO.write
 * </pre>
 *
 * <p>Without {@code --input} it counts the embedded corpus (the six novels of Jane Austen, public
 * domain, from Debian's {@code r-cran-janeaustenr}); the resource is copied to a local temp file
 * that TextIO reads, so runners with separate worker processes on the same machine work too.
 * After the run it prints the {@code --top} most frequent words (read back from the output files).
 */
public final class WordCount {
  /** Classpath location of the embedded default input. */
  public static final String DEFAULT_INPUT_RESOURCE = "/wordcount/austen.txt.gz";

  private WordCount() {}

  /** Splits lines into words with {@link Tokenizer}. */
  public static class ExtractWordsFn extends DoFn<String, String> {
    @ProcessElement
    public void processElement(@Element String line, OutputReceiver<String> out) {
      Tokenizer.forEachWord(line, out::output);
    }
  }

  /** Lines in, {@code "word: count"} lines out. */
  public static class CountWords extends PTransform<PCollection<String>, PCollection<String>> {
    @Override
    public PCollection<String> expand(PCollection<String> lines) {
      PCollection<KV<String, Long>> counts =
          lines.apply("ExtractWords", ParDo.of(new ExtractWordsFn())).apply(Count.perElement());
      return counts.apply(
          "Format",
          MapElements.into(TypeDescriptors.strings())
              .via((KV<String, Long> kv) -> kv.getKey() + ": " + kv.getValue()));
    }
  }

  /** Builds the pipeline for {@code options} (input must already be resolved to a path). */
  public static Pipeline buildPipeline(WordCountOptions options) {
    Pipeline p = Pipeline.create(options);
    TextIO.Write write = TextIO.write().to(options.getOutput());
    if (options.getNumShards() > 0) {
      write = write.withNumShards(options.getNumShards());
    }
    p.apply("Read", TextIO.read().from(options.getInput()))
        .apply("CountWords", new CountWords())
        .apply("Write", write);
    return p;
  }

  /**
   * Copies the embedded corpus to a temp file and returns its path (a {@code .gz} name, which
   * TextIO decompresses automatically).
   */
  public static String materializeDefaultInput() throws IOException {
    Path tmp = Files.createTempFile("dmerge-wordcount-", ".txt.gz");
    tmp.toFile().deleteOnExit();
    try (InputStream in = WordCount.class.getResourceAsStream(DEFAULT_INPUT_RESOURCE)) {
      if (in == null) {
        throw new IOException("missing resource " + DEFAULT_INPUT_RESOURCE);
      }
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    }
    return tmp.toString();
  }

  /** Deletes stale local shards of a previous run (a different shard count would leave some). */
  static void deleteOldShards(String outputPrefix) {
    if (outputPrefix.contains("://")) {
      return; // not a local path
    }
    for (Path p : SortedOutput.shards(outputPrefix)) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // best effort
      }
    }
  }

  /** Runs word count and blocks until done. Returns the final pipeline state. */
  public static PipelineResult.State run(WordCountOptions options) throws IOException {
    if (options.getInput() == null || options.getInput().isEmpty()) {
      options.setInput(materializeDefaultInput());
    }
    deleteOldShards(options.getOutput());
    Pipeline p = buildPipeline(options);
    PipelineResult.State state = p.run().waitUntilFinish();
    if (!options.getSortedOutput().isEmpty()) {
      SortedOutput.writeSorted(options.getOutput(), Paths.get(options.getSortedOutput()));
    }
    return state;
  }

  /** The {@code n} most frequent {@code "word: count"} lines (count desc, then word asc). */
  public static List<String> topWords(List<String> outputLines, int n) {
    List<String> lines = new ArrayList<>(outputLines);
    lines.sort(
        Comparator.comparingLong(WordCount::countOf)
            .reversed()
            .thenComparing(l -> l.substring(0, l.lastIndexOf(": "))));
    return lines.subList(0, Math.min(n, lines.size()));
  }

  private static long countOf(String line) {
    return Long.parseLong(line.substring(line.lastIndexOf(": ") + 2));
  }

  public static void main(String[] args) throws IOException {
    WordCountOptions options =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(WordCountOptions.class);
    boolean embedded = options.getInput() == null || options.getInput().isEmpty();
    long start = System.nanoTime();
    PipelineResult.State state = run(options);
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf(
        "WordCount finished: state=%s runner=%s input=%s output=%s (%d ms)%n",
        state,
        options.getRunner().getSimpleName(),
        embedded ? "<embedded austen.txt.gz>" : options.getInput(),
        options.getOutput(),
        millis);
    if (options.getTop() > 0 && !options.getOutput().contains("://")) {
      List<String> all = SortedOutput.readSorted(options.getOutput());
      System.out.printf("%d distinct words; top %d:%n", all.size(), options.getTop());
      for (String l : topWords(all, options.getTop())) {
        System.out.println("  " + l);
      }
    }
  }
}
