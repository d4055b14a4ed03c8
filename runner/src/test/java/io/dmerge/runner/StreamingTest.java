package io.dmerge.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.beam.runners.core.LateDataDroppingDoFnRunner;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Max;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming jobs, those that read a TestStream (replayed in rounds, an event once the last one's
 * watermarks settled) or trigger on processing time.
 */
class StreamingTest {
  private static final Instant T0 = new Instant(0);
  private static final IntervalWindow FIRST_TEN_MINUTES = new IntervalWindow(T0, Duration.standardMinutes(10));

  @TempDir Path regions;
  @TempDir Path spill;

  private TestPipeline pipeline(String... extra) {
    String[] args =
        Stream.concat(
                Stream.of("--runner=TestDmergeRunner", "--regionDirectory=" + regions, "--spillDirectory=" + spill),
                Stream.of(extra))
            .toArray(String[]::new);
    return TestPipeline.fromOptions(PipelineOptionsFactory.fromArgs(args).create()).enableAbandonedNodeEnforcement(false);
  }

  @Test
  void panesFollowTheWatermarkAndLateDataBeyondTheAllowedLatenessIsDropped() throws Exception {
    TestStream<String> events =
        TestStream.create(StringUtf8Coder.of())
            .addElements(TimestampedValue.of("a", T0.plus(Duration.standardMinutes(1))))
            .addElements(TimestampedValue.of("b", T0.plus(Duration.standardMinutes(2))))
            .advanceWatermarkTo(T0.plus(Duration.standardMinutes(20)))
            // late, within the allowed hour: a late pane of its own
            .addElements(TimestampedValue.of("c", T0.plus(Duration.standardMinutes(3))))
            .advanceWatermarkTo(T0.plus(Duration.standardHours(2)))
            // beyond the allowed lateness: dropped
            .addElements(TimestampedValue.of("d", T0.plus(Duration.standardMinutes(4))))
            .advanceWatermarkToInfinity();
    TestPipeline p = pipeline();
    PCollection<Long> counts =
        p.apply(events)
            // A stage between the stream and the grouping: the watermark has to travel through
            // it before the next event comes, or the late element would land in the on-time pane.
            .apply(Reshuffle.viaRandomKey())
            .apply(
                Window.<String>into(FixedWindows.of(Duration.standardMinutes(10)))
                    .triggering(AfterWatermark.pastEndOfWindow().withLateFirings(AfterPane.elementCountAtLeast(1)))
                    .withAllowedLateness(Duration.standardHours(1))
                    .discardingFiredPanes())
            .apply(Combine.globally(Count.<String>combineFn()).withoutDefaults());
    PAssert.that(counts).inOnTimePane(FIRST_TEN_MINUTES).containsInAnyOrder(2L);
    PAssert.that(counts).inLatePane(FIRST_TEN_MINUTES).containsInAnyOrder(1L);
    PAssert.that(counts).inWindow(FIRST_TEN_MINUTES).containsInAnyOrder(2L, 1L);
    assertEquals(1, droppedDueToLateness(p.run()), "the element beyond the allowed lateness is counted where it was dropped");
  }

  /**
   * A key's late element and its on-time one arrive together: the late one is dropped and counted
   * once, and each window fires one pane.
   */
  @Test
  void aLateElementIsCountedOnceBesideAnOnTimeOneOfItsKey() throws Exception {
    TestStream<String> events =
        TestStream.create(StringUtf8Coder.of())
            .addElements(TimestampedValue.of("a", T0.plus(Duration.standardMinutes(1))))
            .advanceWatermarkTo(T0.plus(Duration.standardHours(2)))
            .addElements(
                TimestampedValue.of("late", T0.plus(Duration.standardMinutes(2))),
                TimestampedValue.of("fresh", T0.plus(Duration.standardHours(2)).plus(Duration.standardMinutes(1))))
            .advanceWatermarkToInfinity();
    TestPipeline p = pipeline();
    PCollection<Long> counts =
        p.apply(events)
            // The watermark passes both windows' ends and garbage collection times at once: each
            // closes with one final pane, as the DirectRunner's does, not with a second, empty one.
            .apply(
                Window.<String>into(FixedWindows.of(Duration.standardMinutes(10)))
                    .withAllowedLateness(Duration.standardHours(1))
                    .discardingFiredPanes())
            .apply(Combine.globally(Count.<String>combineFn()).withoutDefaults());
    PAssert.that(counts).containsInAnyOrder(1L, 1L);
    assertEquals(1, droppedDueToLateness(p.run()), "the late element is counted once, however often the grouping reads its input");
  }

  private static long droppedDueToLateness(PipelineResult result) {
    long dropped = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(
                        MetricNameFilter.named(LateDataDroppingDoFnRunner.class, LateDataDroppingDoFnRunner.DROPPED_DUE_TO_LATENESS))
                    .build())
            .getCounters()) {
      dropped += c.getAttempted();
    }
    return dropped;
  }

  /** The whole stream in the global window, one pane when the stream ends. */
  private static Window<Integer> untilTheEnd() {
    return Window.<Integer>into(new GlobalWindows())
        .triggering(AfterWatermark.pastEndOfWindow())
        .withAllowedLateness(Duration.ZERO)
        .discardingFiredPanes();
  }

  /** 1 and 2, then, after the watermark moved, 3. */
  private static TestStream<Integer> oneTwoThenThree() {
    return TestStream.create(VarIntCoder.of())
        .addElements(1, 2)
        .advanceWatermarkTo(T0.plus(Duration.standardMinutes(5)))
        .addElements(3)
        .advanceWatermarkToInfinity();
  }

  @Test
  void aSideInputIsReadOnlyOnceItsWindowIsComplete() throws Exception {
    // Sum.integersGlobally inserts 0 for an empty input, from a side input of the sum itself: read
    // before the stream ends, it would still be empty and add a 0 to the real sum.
    TestPipeline p = pipeline();
    PAssert.that(p.apply(oneTwoThenThree()).apply(untilTheEnd()).apply(Sum.integersGlobally())).containsInAnyOrder(6);
    p.run();
  }

  /** Outputs how many elements the side input holds, from a stateful DoFn. */
  static final class SideInputSize extends DoFn<KV<Integer, Integer>, Integer> {
    private final PCollectionView<List<Integer>> side;

    @StateId("seen")
    private final StateSpec<ValueState<Integer>> seen = StateSpecs.value();

    SideInputSize(PCollectionView<List<Integer>> side) {
      this.side = side;
    }

    @ProcessElement
    public void process(ProcessContext c, @StateId("seen") ValueState<Integer> seen) {
      seen.write(1);
      c.output(c.sideInput(side).size());
    }
  }

  @Test
  void aStatefulDoFnReadsItsSideInputOnlyOnceTheWindowIsReady() throws Exception {
    TestPipeline p = pipeline();
    PCollection<Integer> stream = p.apply(oneTwoThenThree()).apply(untilTheEnd());
    PCollectionView<List<Integer>> all = stream.apply(View.asList());
    PCollection<Integer> sizes =
        stream
            .apply(WithKeys.of((Integer i) -> i % 2).withKeyType(TypeDescriptors.integers()))
            .apply(ParDo.of(new SideInputSize(all)).withSideInputs(all));
    PAssert.that(sizes).containsInAnyOrder(3, 3, 3);
    p.run();
  }

  /** Outputs each element with the side input's value as the element read it. */
  static final class WithSide extends DoFn<String, String> {
    private final PCollectionView<Long> side;

    WithSide(PCollectionView<Long> side) {
      this.side = side;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element() + "=" + c.sideInput(side));
    }
  }

  @Test
  void aRepeatedlyTriggeredSideInputShowsItsLatestFiring() throws Exception {
    // Every update fires a pane of the singleton's window; each read sees the latest one. Showing
    // every pane so far would make the singleton hold several values from the second round on.
    TestPipeline p = pipeline();
    PCollectionView<Long> latest =
        p.apply("Updates", TestStream.create(VarLongCoder.of()).addElements(1L).addElements(2L).addElements(3L).advanceWatermarkToInfinity())
            .apply(
                Window.<Long>into(new GlobalWindows())
                    .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
                    .withAllowedLateness(Duration.ZERO)
                    .discardingFiredPanes())
            .apply(Combine.globally(Max.ofLongs()).asSingletonView());
    PCollection<String> reads =
        p.apply("Reads", TestStream.create(StringUtf8Coder.of()).addElements("a").addElements("b").addElements("c").advanceWatermarkToInfinity())
            .apply(ParDo.of(new WithSide(latest)).withSideInputs(latest));
    PAssert.that(reads).containsInAnyOrder("a=1", "b=2", "c=3");
    p.run();
  }

  @Test
  void onWorkerProcessesEachPartitionKeepsItsStateInOneWorker() throws Exception {
    // Keys spread over both partitions; their sums need the state of every round.
    TestStream<Integer> events =
        TestStream.create(VarIntCoder.of())
            .addElements(1, 2, 3, 4)
            .advanceWatermarkTo(T0.plus(Duration.standardMinutes(5)))
            .addElements(5, 6, 7, 8)
            .advanceWatermarkToInfinity();
    TestPipeline p = pipeline("--executor=process", "--parallelism=2");
    PCollection<KV<Integer, Integer>> sums =
        p.apply(events)
            .apply(untilTheEnd())
            .apply(WithKeys.of((Integer i) -> i % 4).withKeyType(TypeDescriptors.integers()))
            .apply(Sum.integersPerKey());
    PAssert.that(sums).containsInAnyOrder(KV.of(0, 12), KV.of(1, 6), KV.of(2, 8), KV.of(3, 10));
    p.run();
  }

  /** Leaves a marker file per {@code @Setup} and per {@code @Teardown}, named by instance: seen across JVMs. */
  static final class Lifecycle extends DoFn<Integer, Integer> {
    private final String dir;
    private transient String id;

    Lifecycle(String dir) {
      this.dir = dir;
    }

    @Setup
    public void setup() throws IOException {
      id = UUID.randomUUID().toString();
      Files.createFile(Path.of(dir, "setup-" + id));
    }

    @ProcessElement
    public void process(@Element Integer x, OutputReceiver<Integer> out) {
      out.output(x);
    }

    @Teardown
    public void teardown() throws IOException {
      Files.createFile(Path.of(dir, "teardown-" + id));
    }
  }

  @Test
  void aDoFnIsSetUpOncePerPartitionNotOncePerRoundAndTornDownWithTheJob(@TempDir Path markers) throws Exception {
    assertSetUpOncePerPartition(markers, pipeline("--parallelism=2"));
  }

  @Test
  void onWorkerProcessesTooADoFnIsSetUpOncePerPartition(@TempDir Path markers) throws Exception {
    assertSetUpOncePerPartition(markers, pipeline("--executor=process", "--parallelism=2"));
  }

  private static void assertSetUpOncePerPartition(Path markers, TestPipeline p) throws Exception {
    TestStream<Integer> events =
        TestStream.create(VarIntCoder.of())
            .addElements(1, 2, 3, 4)
            .addElements(5, 6, 7, 8)
            .addElements(9, 10, 11, 12)
            .addElements(13, 14, 15, 16)
            .advanceWatermarkToInfinity();
    PCollection<Integer> out =
        p.apply(events).apply(Reshuffle.viaRandomKey()).apply(ParDo.of(new Lifecycle(markers.toString())));
    PAssert.that(out).containsInAnyOrder(IntStream.rangeClosed(1, 16).boxed().toList());
    p.run();
    // Six rounds of two partition tasks each: a DoFn per task would be set up twelve times.
    long setups = count(markers, "setup-");
    assertTrue(setups >= 1 && setups <= 2, "set up " + setups + " times");
    // Worker processes tear down when the job's end reaches them, just after the job.
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (count(markers, "teardown-") < setups && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(setups, count(markers, "teardown-"), "every set-up DoFn is torn down with the job");
  }

  private static long count(Path dir, String prefix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().startsWith(prefix)).count();
    }
  }

  @Test
  void noRegionOfAStreamingJobOutlivesIt() throws Exception {
    TestPipeline p = pipeline();
    PCollection<Integer> sum =
        p.apply(TestStream.create(VarIntCoder.of()).addElements(1).addElements(2).advanceWatermarkToInfinity())
            .apply(untilTheEnd())
            .apply(Sum.integersGlobally());
    PAssert.that(sum).containsInAnyOrder(3);
    p.run();
    try (Stream<Path> a = Files.walk(regions); Stream<Path> b = Files.walk(spill)) {
      assertEquals(0, Stream.concat(a, b).filter(Files::isRegularFile).count(), "a finished streaming job leaves no regions behind");
    }
  }

  /**
   * A bounded pipeline whose trigger fires on processing time runs in rounds too: a stage that holds
   * its output watermark (here with a timer) lets a processing-time pane fire downstream before the
   * window ends, and that early pane travels through a second GroupByKey as an early pane of its own.
   */
  @Test
  void aProcessingTimeTriggerFiresEarlyPanesBehindAWatermarkHold() throws Exception {
    TestPipeline p = pipeline();
    PCollection<Integer> sums =
        p.apply(Create.of(KV.of("k", 42)))
            .apply(ParDo.of(new HoldUntilTheEnd()))
            .apply(
                Window.<Integer>configure()
                    .triggering(Repeatedly.forever(AfterProcessingTime.pastFirstElementInPane()))
                    .accumulatingFiredPanes()
                    .withAllowedLateness(Duration.ZERO))
            .apply("First sum", Sum.integersGlobally().withoutDefaults())
            .apply("Second sum", Sum.integersGlobally().withoutDefaults());
    PAssert.that(sums).inEarlyGlobalWindowPanes().containsInAnyOrder(42);
    p.run();
  }

  /** Outputs its element's value and holds the watermark with a timer until just before the end of its window. */
  static class HoldUntilTheEnd extends DoFn<KV<String, Integer>, Integer> {
    @TimerId("hold")
    private final TimerSpec hold = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(@Element KV<String, Integer> e, BoundedWindow window, OutputReceiver<Integer> out, @TimerId("hold") Timer timer) {
      out.output(e.getValue());
      timer.set(window.maxTimestamp().minus(Duration.millis(10)));
    }

    @OnTimer("hold")
    public void onHold() {}
  }
}
