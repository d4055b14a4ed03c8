package io.dmerge.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.beam.runners.core.metrics.MonitoringInfoConstants;
import org.apache.beam.runners.core.metrics.MonitoringInfoMetricName;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsOptions;
import org.apache.beam.sdk.metrics.MetricsSink;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner as a user meets it: options, results, failures, cancellation, cleanup. */
class DmergeRunnerTest {
  @TempDir Path regions;
  @TempDir Path spill;

  private Pipeline pipeline(String... extra) {
    String[] args = Stream.concat(
            Stream.of("--runner=DmergeRunner", "--regionDirectory=" + regions, "--spillDirectory=" + spill), Stream.of(extra))
        .toArray(String[]::new);
    return Pipeline.create(PipelineOptionsFactory.fromArgs(args).create());
  }

  static final class CountingFn extends DoFn<String, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      Metrics.counter("test", "elements").inc();
      c.output(c.element());
    }
  }

  /** "a" to its main output, everything else to a second one. */
  static final class SplitFn extends DoFn<String, String> {
    static final TupleTag<String> AS = new TupleTag<>("as") {};
    static final TupleTag<String> OTHERS = new TupleTag<>("others") {};

    @ProcessElement
    public void process(@Element String s, MultiOutputReceiver out) {
      out.get(s.equals("a") ? AS : OTHERS).output(s);
    }
  }

  static final class FailingFn extends DoFn<KV<String, Iterable<Integer>>, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      throw new IllegalStateException("boom");
    }
  }

  /** Records what the runner pushes; static because the runner builds its own instance from the class name. */
  public static final class CollectingSink implements MetricsSink {
    static final List<Long> PUSHED = new CopyOnWriteArrayList<>();

    public CollectingSink(MetricsOptions options) {}

    @Override
    public void writeMetrics(MetricQueryResults results) {
      for (MetricResult<Long> c : results.getCounters()) {
        if (c.getName().getName().equals("elements")) {
          PUSHED.add(c.getAttempted());
        }
      }
    }
  }

  @Test
  void pushesMetricsToTheConfiguredSinkBeforeTheJobEnds() {
    CollectingSink.PUSHED.clear();
    Pipeline p = pipeline("--metricsSink=" + CollectingSink.class.getName(), "--metricsPushPeriod=3600");
    p.apply(Create.of("a", "b", "c")).apply("Counted", ParDo.of(new CountingFn()));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    // The period is an hour: this is the final push, made before waitUntilFinish returned.
    assertEquals(List.of(3L), CollectingSink.PUSHED);
  }

  @Test
  void aNonPositivePushPeriodIsRefused() {
    Pipeline p = pipeline("--metricsSink=" + CollectingSink.class.getName(), "--metricsPushPeriod=0");
    p.apply(Create.of("a"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::run);
    assertTrue(e.getMessage().contains("--metricsPushPeriod"), e.getMessage());
  }

  private long leftoverFiles() throws IOException {
    try (Stream<Path> a = Files.walk(regions); Stream<Path> b = Files.walk(spill)) {
      return Stream.concat(a, b).filter(Files::isRegularFile).count();
    }
  }

  @Test
  void runsAShuffleAndReportsMetrics() throws IOException {
    Pipeline p = pipeline();
    p.apply(Create.of("a", "b", "a"))
        .apply("Counted", ParDo.of(new CountingFn()))
        .apply(Count.perElement());
    PipelineResult result = p.run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    MetricQueryResults metrics =
        result.metrics().queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.named("test", "elements")).build());
    assertEquals(3L, metrics.getCounters().iterator().next().getAttempted());
    assertEquals(0, leftoverFiles(), "a finished job leaves no regions behind");
  }

  @Test
  void countsTheElementsOfEveryPCollection() {
    Pipeline p = pipeline();
    PCollection<String> words = p.apply(Create.of("a", "b", "a"));
    PCollection<String> counted = words.apply("Counted", ParDo.of(new CountingFn()));
    PCollection<KV<String, Long>> perWord = counted.apply(Count.perElement());
    PCollectionTuple split = words.apply("Split", ParDo.of(new SplitFn()).withOutputTags(SplitFn.AS, TupleTagList.of(SplitFn.OTHERS)));
    PipelineResult result = p.run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    Map<String, Long> counts = new HashMap<>();
    for (MetricResult<Long> c : result.metrics().allMetrics().getCounters()) {
      if (c.getName() instanceof MonitoringInfoMetricName
          && ((MonitoringInfoMetricName) c.getName()).getUrn().equals(MonitoringInfoConstants.Urns.ELEMENT_COUNT)) {
        counts.merge(((MonitoringInfoMetricName) c.getName()).getLabels().get(MonitoringInfoConstants.Labels.PCOLLECTION), c.getAttempted(), Long::sum);
      }
    }
    assertEquals(3L, counts.get(counted.getName()), counts.toString());
    assertEquals(2L, counts.get(perWord.getName()), counts.toString());
    assertEquals(2L, counts.get(split.get(SplitFn.AS).getName()), counts.toString());
    assertEquals(1L, counts.get(split.get(SplitFn.OTHERS).getName()), counts.toString());
  }

  @Test
  void userExceptionSurfacesAsItsOwnCause() throws IOException {
    Pipeline p = pipeline();
    p.apply(Create.of(KV.of("k", 1))).apply(GroupByKey.create()).apply(ParDo.of(new FailingFn()));
    PipelineResult result = p.run();
    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class, result::waitUntilFinish);
    assertTrue(e.getCause() instanceof IllegalStateException);
    assertEquals("boom", e.getCause().getMessage());
    assertEquals(PipelineResult.State.FAILED, result.getState());
    assertEquals(0, leftoverFiles(), "a failed job leaves no regions behind");
  }

  @Test
  void waitWithTimeoutReturnsNullThenCancelStopsTheJob() throws IOException {
    Pipeline p = pipeline();
    p.apply(Create.of(1, 2))
        .apply(
            MapElements.into(TypeDescriptors.integers())
                .via(
                    (Integer x) -> {
                      try {
                        Thread.sleep(60_000);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return x;
                    }));
    PipelineResult result = p.run();
    assertNull(result.waitUntilFinish(Duration.millis(200)));
    assertEquals(PipelineResult.State.RUNNING, result.getState());
    assertEquals(PipelineResult.State.CANCELLED, result.cancel());
    assertSame(PipelineResult.State.CANCELLED, result.waitUntilFinish(Duration.standardSeconds(30)));
    assertEquals(0, leftoverFiles(), "a cancelled job leaves no regions behind");
  }

  @Test
  void aShuffleBeyondTheMemoryBudgetSpillsToDiskAndCompletes() throws IOException {
    Pipeline p = pipeline("--regionMemoryBudget=0", "--parallelism=2");
    PCollection<KV<Integer, Long>> counts =
        p.apply(Create.of(java.util.stream.IntStream.range(0, 5000).boxed().collect(java.util.stream.Collectors.toList())))
            .apply(MapElements.into(TypeDescriptors.integers()).via((Integer x) -> x % 7))
            .apply(Count.perElement());
    PAssert.that(counts)
        .containsInAnyOrder(
            KV.of(0, 715L), KV.of(1, 715L), KV.of(2, 714L), KV.of(3, 714L), KV.of(4, 714L), KV.of(5, 714L), KV.of(6, 714L));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    assertEquals(0, leftoverFiles());
  }

  /** Emits the stages whose regions are registered while this step runs (region ids start "s<stage>-"). */
  static final class RegisteredStagesFn extends DoFn<KV<Integer, Iterable<Integer>>, String> {
    private final String regionRoot;

    RegisteredStagesFn(String regionRoot) {
      this.regionRoot = regionRoot;
    }

    @ProcessElement
    public void process(ProcessContext c) throws IOException {
      try (Stream<Path> files = Files.walk(Path.of(regionRoot))) {
        files.map(f -> f.getFileName().toString())
            .filter(name -> name.endsWith(".meta"))
            .map(name -> name.substring(0, name.indexOf('-')))
            .distinct()
            .forEach(c::output);
      }
    }
  }

  @Test
  void regionsAreReleasedOnceEveryStageThatReadsThemHasSucceeded() {
    Pipeline p = pipeline("--parallelism=2");
    PCollection<String> registered =
        p.apply(Create.of(1, 2, 3, 4, 5, 6))
            .apply("KeyA", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.integers(), TypeDescriptors.integers())).via((Integer x) -> KV.of(x % 3, x)))
            .apply("GroupA", GroupByKey.create())
            .apply("KeyB", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.integers(), TypeDescriptors.integers())).via((KV<Integer, Iterable<Integer>> kv) -> KV.of(0, kv.getKey())))
            .apply("GroupB", GroupByKey.create())
            .apply(ParDo.of(new RegisteredStagesFn(regions.toString())));
    // Stage 0 writes GroupA, stage 1 reads it and writes GroupB, stage 2 reads GroupB. While stage 2
    // runs, GroupA is fully read and released; GroupB is not. (PAssert's own independent stages may
    // have regions registered too.)
    PAssert.that(registered)
        .satisfies(
            stages -> {
              List<String> seen = new ArrayList<>();
              stages.forEach(seen::add);
              assertTrue(seen.contains("s1"), "GroupB's regions are still being read: " + seen);
              assertFalse(seen.contains("s0"), "GroupA's regions were released after stage 1: " + seen);
              return null;
            });
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  void badOptionsAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pipeline("--executor=mainframe").run());
    assertTrue(e.getMessage().contains("--executor"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> pipeline("--parallelism=0").run());
    assertTrue(e.getMessage().contains("--parallelism"), e.getMessage());
  }
}
