package io.dmerge.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.PeriodicImpulse;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.splittabledofn.ManualWatermarkEstimator;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
import org.apache.beam.sdk.transforms.splittabledofn.WatermarkEstimators;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming jobs whose source is an unbounded splittable DoFn: rounds driven by its residuals. Its
 * DoFn serves the pod executor's test too.
 */
public class UnboundedStreamingTest {
  private static final Map<String, Queue<Long>> SEEN = new ConcurrentHashMap<>();

  @TempDir Path regions;
  @TempDir Path spill;

  private String[] args(String runner) {
    return new String[] {"--runner=" + runner, "--regionDirectory=" + regions, "--spillDirectory=" + spill};
  }

  /**
   * Emits 0 .. n-1 at n seconds each, two per call, then resumes; its watermark follows its output.
   * Windows downstream close only as that watermark passes them: had the runner let the watermark
   * run ahead of the residuals, the later elements would be late and dropped.
   */
  @DoFn.UnboundedPerElement
  public static final class Ticks extends DoFn<Integer, Integer> {
    @GetInitialRestriction
    public OffsetRange initialRestriction(@Element Integer n) {
      return new OffsetRange(0, n);
    }

    @GetInitialWatermarkEstimatorState
    public Instant initialWatermark() {
      return BoundedWindow.TIMESTAMP_MIN_VALUE;
    }

    @NewWatermarkEstimator
    public WatermarkEstimators.Manual watermarkEstimator(@WatermarkEstimatorState Instant state) {
      return new WatermarkEstimators.Manual(state);
    }

    @ProcessElement
    public ProcessContinuation process(
        RestrictionTracker<OffsetRange, Long> tracker, ManualWatermarkEstimator<Instant> watermark, OutputReceiver<Integer> out) {
      long next = tracker.currentRestriction().getFrom();
      for (long position = next; position < next + 2; position++) {
        if (!tracker.tryClaim(position)) {
          return ProcessContinuation.stop();
        }
        Instant timestamp = new Instant(position * 1000);
        out.outputWithTimestamp((int) position, timestamp);
        watermark.setWatermark(timestamp);
      }
      return ProcessContinuation.resume();
    }
  }

  @Test
  void theResidualsOfAnUnboundedSplittableDoFnHoldTheWatermarkUntilTheyAreProcessed() throws Exception {
    TestPipeline p =
        TestPipeline.fromOptions(PipelineOptionsFactory.fromArgs(args("TestDmergeRunner")).create())
            .enableAbandonedNodeEnforcement(false);
    PCollection<Integer> sums =
        p.apply(Create.of(10))
            .apply(ParDo.of(new Ticks()))
            .apply(Window.into(FixedWindows.of(Duration.standardSeconds(5))))
            .apply(Sum.integersGlobally().withoutDefaults());
    PAssert.that(sums).inOnTimePane(new IntervalWindow(new Instant(0), new Instant(5000))).containsInAnyOrder(0 + 1 + 2 + 3 + 4);
    PAssert.that(sums).inOnTimePane(new IntervalWindow(new Instant(5000), new Instant(10000))).containsInAnyOrder(5 + 6 + 7 + 8 + 9);
    p.run();
    assertRegionsReleased();
  }

  /** Records what it sees where the test can look, by the test's id: in-process only. */
  static final class Record extends DoFn<Long, Void> {
    private final String id;

    Record(String id) {
      this.id = id;
    }

    @ProcessElement
    public void process(@Element Long value) {
      SEEN.get(id).add(value);
    }
  }

  @Test
  void anEndlessUnboundedReadDeliversOutputWhileItRunsAndStopsWhenCancelled() throws Exception {
    String id = UUID.randomUUID().toString();
    SEEN.put(id, new ConcurrentLinkedQueue<>());
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(args("DmergeRunner")).create());
    p.apply(GenerateSequence.from(0).withRate(50, Duration.standardSeconds(1))).apply(ParDo.of(new Record(id)));
    PipelineResult result = p.run();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (SEEN.get(id).size() < 10 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(SEEN.get(id).size() >= 10, "elements seen while the read runs: " + SEEN.get(id).size());
    assertNull(result.waitUntilFinish(Duration.millis(10)), "an endless read is still running");
    assertEquals(PipelineResult.State.RUNNING, result.getState());
    assertEquals(PipelineResult.State.CANCELLED, result.cancel());
    assertEquals(PipelineResult.State.CANCELLED, result.waitUntilFinish(Duration.standardSeconds(60)));
    assertRegionsReleased();
    SEEN.remove(id);
  }

  @Test
  void aFiniteUnboundedSourceWritesWindowedFilesAndEnds(@TempDir Path out) throws Exception {
    TestPipeline p =
        TestPipeline.fromOptions(PipelineOptionsFactory.fromArgs(args("TestDmergeRunner")).create())
            .enableAbandonedNodeEnforcement(false);
    Instant start = Instant.now();
    p.apply(PeriodicImpulse.create().startAt(start).stopAt(start.plus(Duration.millis(1900))).withInterval(Duration.millis(100)))
        .apply(Window.into(FixedWindows.of(Duration.millis(500))))
        .apply(MapElements.into(TypeDescriptors.strings()).via((Instant t) -> Long.toString(t.getMillis() - start.getMillis())))
        .apply(TextIO.write().to(out.resolve("ticks").toString()).withWindowedWrites().withNumShards(2));
    p.run();
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(out)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("ticks")).toList()) {
        lines.addAll(Files.readAllLines(f));
      }
    }
    List<String> expected = new ArrayList<>();
    for (long t = 0; t <= 1900; t += 100) { // stopAt is inclusive
      expected.add(Long.toString(t));
    }
    assertEquals(expected, lines.stream().sorted(Comparator.comparingLong(Long::parseLong)).toList());
    assertRegionsReleased();
  }

  private void assertRegionsReleased() throws Exception {
    try (Stream<Path> left = Files.walk(regions)) {
      assertEquals(0, left.filter(Files::isRegularFile).count(), "regions left behind");
    }
  }
}
