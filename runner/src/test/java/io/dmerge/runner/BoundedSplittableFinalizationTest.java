package io.dmerge.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded splittable DoFn gets the task's bundle finalizer, and when it resumes after
 * registering a callback, its residual is processed in a later task, after the callback ran.
 */
class BoundedSplittableFinalizationTest {
  private static final Map<String, List<String>> FINALIZED = new ConcurrentHashMap<>();
  private static final Map<String, List<String>> SEEN_BEFORE_CLAIM = new ConcurrentHashMap<>();

  @TempDir Path regions;
  @TempDir Path spill;

  private Pipeline pipeline() {
    String[] args = Stream.of("--runner=DmergeRunner", "--regionDirectory=" + regions, "--spillDirectory=" + spill)
        .toArray(String[]::new);
    return Pipeline.create(PipelineOptionsFactory.fromArgs(args).create());
  }

  /** Claims positions 0..2 of each element one at a time, asking to be told when each is committed. */
  @DoFn.BoundedPerElement
  static final class FinalizingFn extends DoFn<String, String> {
    private final String run;

    FinalizingFn(String run) {
      this.run = run;
    }

    @GetInitialRestriction
    public OffsetRange initial() {
      return new OffsetRange(0, 3);
    }

    @ProcessElement
    public ProcessContinuation process(
        @Element String element, RestrictionTracker<OffsetRange, Long> tracker, OutputReceiver<String> out,
        BundleFinalizer finalizer) {
      long position = tracker.currentRestriction().getFrom();
      // What had been finalized for this element when this position came up.
      SEEN_BEFORE_CLAIM.computeIfAbsent(run, k -> new CopyOnWriteArrayList<>())
          .add(element + position + ":" + finalized(run, element));
      if (!tracker.tryClaim(position)) {
        return ProcessContinuation.stop();
      }
      out.output(element + position);
      finalizer.afterBundleCommit(
          Instant.now().plus(Duration.standardMinutes(5)),
          () -> FINALIZED.computeIfAbsent(run, k -> new CopyOnWriteArrayList<>()).add(element + position));
      return ProcessContinuation.resume();
    }
  }

  private static long finalized(String run, String element) {
    return FINALIZED.getOrDefault(run, List.of()).stream().filter(s -> s.startsWith(element)).count();
  }

  static final class StampFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String e, @Timestamp Instant ts, OutputReceiver<String> out) {
      out.output(e + "@" + ts.getMillis());
    }
  }

  static final class FailingFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String e) {
      throw new IllegalStateException("downstream of the splittable DoFn");
    }
  }

  @Test
  void eachResumeRunsAfterTheBundleThatRegisteredACallbackWasFinalized() {
    String run = UUID.randomUUID().toString();
    Pipeline p = pipeline();
    PCollection<String> out =
        p.apply(Create.timestamped(TimestampedValue.of("a", new Instant(1000)), TimestampedValue.of("b", new Instant(2000))))
            .apply(ParDo.of(new FinalizingFn(run)))
            .apply(ParDo.of(new StampFn()));
    PAssert.that(out).containsInAnyOrder("a0@1000", "a1@1000", "a2@1000", "b0@2000", "b1@2000", "b2@2000");
    p.run().waitUntilFinish();

    // Every claimed position's callback ran exactly once.
    assertEquals(Set.of("a0", "a1", "a2", "b0", "b1", "b2"), Set.copyOf(FINALIZED.get(run)));
    assertEquals(6, FINALIZED.get(run).size());
    // Position n of an element was processed after the callbacks of positions 0..n-1 had run.
    // After position 2 nothing is left to resume: the tracker's checkpoint has no residual.
    assertEquals(
        Set.of("a0:0", "a1:1", "a2:2", "b0:0", "b1:1", "b2:2"),
        SEEN_BEFORE_CLAIM.get(run).stream().collect(Collectors.toSet()));
  }

  @Test
  void aFailedTaskRunsNoCallback() {
    String run = UUID.randomUUID().toString();
    Pipeline p = pipeline();
    p.apply(Create.of("a")).apply(ParDo.of(new FinalizingFn(run))).apply(ParDo.of(new FailingFn()));
    assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertEquals(List.of(), FINALIZED.getOrDefault(run, List.of()));
  }
}
