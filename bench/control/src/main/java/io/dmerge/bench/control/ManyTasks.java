package io.dmerge.bench.control;

import java.util.Arrays;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * End to end: runs {@link ChainPipeline} (many small tasks) on whichever runner jar is on the
 * classpath, once to warm the worker pool and the JIT, then {@code --runs} timed times in this
 * driver JVM. Prints one line per run and a final {@code median_ms=N}.
 *
 * <p>Arguments: {@code --shards=N --perShard=N --runs=N} and any pipeline options.
 */
public final class ManyTasks {
  private ManyTasks() {}

  public static void main(String[] args) {
    int shards = 200;
    int perShard = 10;
    int runs = 5;
    java.util.List<String> options = new java.util.ArrayList<>();
    for (String a : args) {
      if (a.startsWith("--shards=")) {
        shards = Integer.parseInt(a.substring(9));
      } else if (a.startsWith("--perShard=")) {
        perShard = Integer.parseInt(a.substring(11));
      } else if (a.startsWith("--runs=")) {
        runs = Integer.parseInt(a.substring(7));
      } else {
        options.add(a);
      }
    }
    run(shards, perShard, options);
    long[] ms = new long[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      run(shards, perShard, options);
      ms[i] = (System.nanoTime() - start) / 1_000_000;
      System.out.println("run " + i + ": " + ms[i] + " ms");
    }
    Arrays.sort(ms);
    System.out.println("median_ms=" + ms[runs / 2]);
    // Pooled worker JVMs end when the driver's side of their stdin closes.
    System.exit(0);
  }

  private static void run(int shards, int perShard, java.util.List<String> options) {
    PipelineResult.State state =
        ChainPipeline.build(PipelineOptionsFactory.fromArgs(options.toArray(String[]::new)).create(), shards, perShard)
            .run()
            .waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("job ended " + state);
    }
  }
}
