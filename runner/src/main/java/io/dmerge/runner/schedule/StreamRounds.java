package io.dmerge.runner.schedule;

import io.dmerge.runner.execute.StreamRound;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.plan.Planner;
import io.dmerge.runner.plan.Stage;
import io.dmerge.runner.plan.StagePlan;
import io.dmerge.runner.translate.Step;
import io.dmerge.runner.translate.StreamEvents;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollectionView;
import org.joda.time.Instant;

/**
 * Runs a streaming job, one whose sources include TestStreams or unbounded splittable DoFns, or
 * whose triggers fire on processing time, in rounds. In each round every stage runs once, in plan
 * order, on what the stages before it wrote in this round (its shuffles still move through Dmerge
 * regions); keyed steps keep their state between rounds. A round replays the next event of every
 * TestStream that has one, once the watermarks have settled after the last event (a round moved
 * none), as a runner that delivers an event once the pipeline is idle would; and it processes once
 * every residual restriction that the splittable DoFns left in the round before. The job ends once
 * no TestStream event and no residual is left and a further round would not move any watermark.
 *
 * <p>Watermarks follow the stages one round behind the elements: a stage's input watermark in a
 * round is what the stages it reads had reached by the end of the round before, so it sees the
 * elements upstream produced in this round before the watermark that passes them, never together
 * with it. A TestStream's output watermark is its last watermark event so far (the end of time
 * once its events are over); a bounded source's is the end of time once it has emitted everything,
 * in the first round; any other stage's is its input watermark, held back by the earliest watermark
 * hold of its keys and of the residuals it left. Processing time is the TestStreams' clock, which
 * starts at the beginning of time and moves only with their processing-time events; without
 * TestStreams it is the wall clock, and rounds start at most every {@link #MIN_ROUND_MILLIS}.
 */
final class StreamRounds {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StreamRounds.class);
  /**
   * How often rounds may start on the wall clock. An idle unbounded source resumes at once, so
   * without a floor its rounds would run back to back, every stage's tasks each time, for nothing;
   * a busy one catches up in one call, so the floor costs latency, not throughput.
   */
  static final long MIN_ROUND_MILLIS = 100;
  private static final int NO_EVENT = -1;
  private final Scheduler scheduler;
  private final StagePlan plan;
  private final Map<Integer, List<TestStream.Event<Object>>> events = new HashMap<>();
  private final Map<Integer, Instant> outputWatermarks = new HashMap<>();
  /** By view id, the stages that write the view. */
  private final Map<String, List<Integer>> viewWriters = new HashMap<>();
  private Instant now = BoundedWindow.TIMESTAMP_MIN_VALUE;

  StreamRounds(Scheduler scheduler, StagePlan plan) {
    this.scheduler = scheduler;
    this.plan = plan;
    for (Stage stream : plan.testStreams()) {
      events.put(stream.id(), StreamEvents.decode((Step.TestStreamRead) stream.root()));
    }
    for (Stage stage : plan.stages()) {
      for (Step.Boundary b : stage.writes()) {
        if (b instanceof Step.CreateView) {
          viewWriters.computeIfAbsent(Planner.viewId(((Step.CreateView) b).view()), k -> new ArrayList<>()).add(stage.id());
        }
      }
    }
  }

  void run() throws Exception {
    // One more event than the longest TestStream has: a TestStream whose events are over has
    // reached the end of time.
    int eventCount = events.values().stream().mapToInt(List::size).max().orElse(0) + 1;
    int next = 0;
    boolean moved = true;
    boolean settled = true;
    for (int round = 0; next < eventCount || scheduler.hasResiduals() || moved; round++) {
      Map<Integer, Instant> before = Map.copyOf(outputWatermarks);
      if (events.isEmpty()) {
        Thread.sleep(Math.max(0, now.getMillis() + MIN_ROUND_MILLIS - System.currentTimeMillis()));
        now = Instant.now();
      }
      // The next TestStream event waits until the last one's watermarks have settled, as a runner
      // that delivers it once the pipeline is idle would.
      int event = settled && next < eventCount ? next++ : NO_EVENT;
      for (List<TestStream.Event<Object>> stream : events.values()) {
        if (event != NO_EVENT && event < stream.size() && stream.get(event) instanceof TestStream.ProcessingTimeEvent) {
          now = now.plus(((TestStream.ProcessingTimeEvent<Object>) stream.get(event)).getProcessingTimeAdvance());
        }
      }
      for (Stage stage : plan.stages()) {
        scheduler.checkNotCancelled();
        runStage(stage, new StreamRound(round, earliest(stage.upstream(), before), now, sideInputWatermarks(stage, before)), event);
      }
      scheduler.releaseShuffles();
      LOG.debug("round {} (TestStream event {}): output watermarks by stage {}", round, event, outputWatermarks);
      settled = outputWatermarks.equals(before);
      moved = !settled && outputWatermarks.values().stream().anyMatch(w -> w.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE));
    }
  }

  private void runStage(Stage stage, StreamRound round, int event) throws Exception {
    Step root = stage.root();
    List<TaskResult> results;
    Instant output = round.inputWatermark();
    if (root instanceof Step.TestStreamRead) {
      List<TestStream.Event<Object>> stream = events.get(stage.id());
      TestStream.Event<Object> next = event != NO_EVENT && event < stream.size() ? stream.get(event) : null;
      results = run(stage, next instanceof TestStream.ElementEvent ? List.of(new TaskInput.StreamEvent(event)) : List.of(), round);
      if (next instanceof TestStream.WatermarkEvent) {
        output = ((TestStream.WatermarkEvent<Object>) next).getWatermark();
      } else if (event != NO_EVENT && next == null) {
        output = BoundedWindow.TIMESTAMP_MAX_VALUE; // its events are over
      } else {
        output = outputWatermarks.getOrDefault(stage.id(), BoundedWindow.TIMESTAMP_MIN_VALUE);
      }
    } else if (root instanceof Step.Read || root instanceof Step.Impulse) {
      results = run(stage, round.number() == 0 ? scheduler.inputs(stage, List.of()) : List.of(), round);
      output = BoundedWindow.TIMESTAMP_MAX_VALUE;
    } else if (stage.iterates()) {
      results = scheduler.runPass(stage, 0, round);
    } else {
      boolean keyed = root instanceof Step.GroupByKey || root instanceof Step.KeyedParDo;
      boolean waits = root instanceof Step.Rebalance && !((Step.Rebalance) root).waitFor().isEmpty();
      boolean input = !scheduler.regionsOf(root).isEmpty();
      // A keyed step runs every round, with or without input: its timers may be due. So does a
      // rebalance whose elements wait for side inputs: they may have become complete.
      results = keyed || waits || input ? run(stage, scheduler.inputs(stage, scheduler.regionsOf(root)), round) : List.of();
    }
    for (TaskResult r : results) {
      output = r.watermarkHold().isBefore(output) ? r.watermarkHold() : output;
    }
    outputWatermarks.merge(stage.id(), output, (before, after) -> after.isAfter(before) ? after : before);
  }

  private List<TaskResult> run(Stage stage, List<TaskInput> inputs, StreamRound round) throws Exception {
    if (inputs.isEmpty()) {
      return List.of();
    }
    List<TaskResult> results = scheduler.runStage(stage, inputs, 0, round);
    scheduler.collect(results, round);
    return results;
  }

  /** By view id, the watermark of every side input the stage's root waits for: the earliest of its writers'. */
  private Map<String, Instant> sideInputWatermarks(Stage stage, Map<Integer, Instant> watermarks) {
    List<PCollectionView<?>> views = List.of();
    if (stage.root() instanceof Step.Rebalance) {
      views = ((Step.Rebalance) stage.root()).waitFor();
    } else if (stage.root() instanceof Step.KeyedParDo) {
      views = ((Step.KeyedParDo) stage.root()).parDo().sideInputs();
    }
    Map<String, Instant> out = new HashMap<>();
    for (PCollectionView<?> view : views) {
      String id = Planner.viewId(view);
      out.put(id, earliest(viewWriters.getOrDefault(id, List.of()), watermarks));
    }
    return out;
  }

  /** The earliest of these stages' output watermarks. */
  private static Instant earliest(Collection<Integer> stages, Map<Integer, Instant> watermarks) {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (int upstream : stages) {
      Instant w = watermarks.getOrDefault(upstream, BoundedWindow.TIMESTAMP_MIN_VALUE);
      earliest = w.isBefore(earliest) ? w : earliest;
    }
    return earliest;
  }
}
