package io.dmerge.runner.execute;

import io.dmerge.runner.DmergePipelineOptions;
import io.dmerge.runner.plan.Stage;
import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.RegionRef;
import io.dmerge.runner.shuffle.ShuffleReader;
import io.dmerge.runner.shuffle.ShuffleWriter;
import io.dmerge.runner.translate.Step;
import io.dmerge.shuffle.Dmerge;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.GlobalCombineFnRunner;
import org.apache.beam.runners.core.GlobalCombineFnRunners;
import org.apache.beam.runners.core.InMemoryBundleFinalizer;
import org.apache.beam.runners.core.LateDataDroppingDoFnRunner;
import org.apache.beam.runners.core.metrics.CounterCell;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * Runs one task: wires the stage's fused steps into operators (in memory, no encoding between
 * them), feeds them from the task's root, and registers the regions its boundary writers filled.
 */
public final class TaskRunner {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TaskRunner.class);

  static {
    WindowedValueClasses.load();
  }

  private final TaskSpec spec;
  private final Dmerge dmerge;
  private final StreamingStore streamingStore;
  private final LiveRead live;
  private final PipelineOptions options;
  private final MetricsContainerStepMap metrics = new MetricsContainerStepMap();
  private final Map<Integer, List<Receiver>> consumers = new HashMap<>();
  private final List<Operator> operators = new ArrayList<>();
  private final Map<String, ShuffleWriter<WindowedValue<?>>> writers = new LinkedHashMap<>();
  private final List<ElementCount> elementCounts = new ArrayList<>();
  private final InMemoryBundleFinalizer finalizer = new InMemoryBundleFinalizer();
  private final List<DoFnInstance> doFns = new ArrayList<>();
  private SideInputs sideInputs;
  // In a streaming round, what the task's root keeps between rounds: its keys' state, its waiting elements.
  private KeyedStates rootStates;
  private SideInputWait rootWait;

  private TaskRunner(TaskSpec spec, Dmerge dmerge, StreamingStore streamingStore, LiveRead live) {
    this.spec = spec;
    this.dmerge = dmerge;
    this.streamingStore = streamingStore;
    this.live = live;
    this.options = spec.options().get();
  }

  /**
   * Runs a task; a streaming round's task finds what earlier rounds of its partition left in
   * {@code streamingStore}. The caller may split its bounded read, if it has one, through {@code live}.
   */
  public static TaskResult run(TaskSpec spec, Dmerge dmerge, StreamingStore streamingStore, LiveRead live) throws Exception {
    return new TaskRunner(spec, dmerge, streamingStore, live).run();
  }

  private TaskResult run() throws Exception {
    Root root = null;
    try {
      sideInputs = SideInputs.read(spec.sideInputs().values(), dmerge);
      Stage stage = spec.stage();
      for (int i = stage.steps().size() - 1; i >= 0; i--) {
        wire(stage.steps().get(i));
      }
      root = root(stage.root(), spec.input());
      // Operators were wired downstream first; start them that way, finish them upstream first.
      for (Operator op : operators) {
        op.start();
      }
      if (rootStates != null) {
        rootStates.startRound(spec.round().inputWatermark(), spec.round().processingTime());
      }
      root.run();
      for (int i = operators.size() - 1; i >= 0; i--) {
        operators.get(i).finish();
      }
      if (rootStates != null) {
        rootStates.endRound();
      }
      Instant hold = earliestHold();
      elementCounts.forEach(c -> c.reportTo(metrics));
      Map<String, RegionRef> regions = new LinkedHashMap<>();
      for (Map.Entry<String, ShuffleWriter<WindowedValue<?>>> w : writers.entrySet()) {
        RegionRef ref = w.getValue().finish();
        if (ref != null) {
          regions.put(w.getKey(), ref);
        }
      }
      finalizeBundle();
      doFns.forEach(DoFnInstance::keepForNextRound);
      return new TaskResult(regions, metrics, hold, sideInputs.replaced());
    } finally {
      closeAll(root);
    }
  }

  /**
   * What holds the stage's output watermark back after this task: its keys' holds, its elements
   * still waiting for side inputs, and the residuals of splittable DoFns it deferred.
   */
  private Instant earliestHold() {
    List<Instant> holds = new ArrayList<>();
    if (rootStates != null) {
      holds.add(rootStates.earliestHold());
    }
    if (rootWait != null) {
      holds.add(rootWait.earliestHold());
    }
    for (Operator op : operators) {
      if (op instanceof UnkeyedWriteOperator) {
        holds.add(((UnkeyedWriteOperator) op).earliestHold());
      }
    }
    return holds.stream().min(Instant::compareTo).orElse(BoundedWindow.TIMESTAMP_MAX_VALUE);
  }

  /** The task's output is registered: run the callbacks DoFns asked for, unless they expired. */
  private void finalizeBundle() throws Exception {
    Instant now = Instant.now();
    for (InMemoryBundleFinalizer.Finalization f : finalizer.getAndClearFinalizations()) {
      if (!now.isAfter(f.getExpiryTime())) {
        f.getCallback().onBundleSuccess();
      }
    }
  }

  private void wire(Step step) {
    if (step instanceof Step.Flatten) {
      Receiver out = output(step);
      step.inputs().forEach(in -> consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(out));
      return;
    }
    Operator op = operator(step);
    operators.add(op);
    consumers.computeIfAbsent(step.inputs().get(0), k -> new ArrayList<>()).add(op);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Operator operator(Step step) {
    if (step instanceof Step.ParDo) {
      Step.ParDo p = (Step.ParDo) step;
      return new ParDoOperator(doFn(p), scope(p));
    } else if (step instanceof Step.AssignWindows) {
      return new AssignWindowsOperator(((Step.AssignWindows) step).windowFn(), output(step));
    } else if (step instanceof Step.GroupByKey) {
      Step.GroupByKey g = (Step.GroupByKey) step;
      ShuffleWriter<WindowedValue<?>> writer = writer(g, g.valueCoder(), g.windowing(), spec.partitions());
      return GroupByKeyRoot.groupsByWindow(g.windowing(), spec.round() == null)
          ? new KeyInWindowWriteOperator(writer, new KeyBytes(GroupByKeyRoot.keyInWindowCoder(g.keyCoder(), g.windowing())))
          : new KeyedWriteOperator(writer, new KeyBytes(g.keyCoder()), true);
    } else if (step instanceof Step.KeyedParDo) {
      Step.KeyedParDo k = (Step.KeyedParDo) step;
      return new KeyedWriteOperator(
          writer(k, k.parDo().inputCoder(), k.parDo().windowing(), spec.partitions()), new KeyBytes(k.keyCoder()), false);
    } else if (step instanceof Step.CombinePerKey) {
      Step.CombinePerKey c = (Step.CombinePerKey) step;
      return new PartialCombineOperator(
          writer(c, c.accumulatorCoder(), c.windowing(), spec.partitions()),
          new KeyBytes(c.keyCoder()),
          (Coder) c.keyCoder(),
          (GlobalCombineFnRunner) GlobalCombineFnRunners.create(c.fn()),
          c.windowing().getTimestampCombiner(),
          options,
          scope(c));
    } else if (step instanceof Step.CreateView) {
      Step.CreateView v = (Step.CreateView) step;
      return new UnkeyedWriteOperator(writer(v, v.coder(), v.windowing(), 1), false);
    } else if (step instanceof Step.Rebalance) {
      Step.Rebalance r = (Step.Rebalance) step;
      return new UnkeyedWriteOperator(writer(r, r.coder(), r.windowing(), spec.partitions()), r.residuals());
    }
    throw new IllegalArgumentException("no operator for " + step);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Root root(Step step, TaskInput input) {
    if (step instanceof Step.Read) {
      return new ReadRoot(((TaskInput.SourceSplit) input).source(), options, scope(step), output(step), live);
    } else if (step instanceof Step.Impulse) {
      Receiver out = output(step);
      return () -> out.accept(WindowedValues.valueInGlobalWindow(new byte[0]));
    } else if (step instanceof Step.TestStreamRead) {
      return new TestStreamRoot((Step.TestStreamRead) step, ((TaskInput.StreamEvent) input).event(), output(step));
    }
    TaskInput.Partition partition = (TaskInput.Partition) input;
    ShuffleReader reader = new ShuffleReader(dmerge, partition.regions());
    int p = partition.partition();
    if (step instanceof Step.GroupByKey) {
      Step.GroupByKey g = (Step.GroupByKey) step;
      return new GroupByKeyRoot(
          reader, p, g.keyCoder(), decoder(g.valueCoder(), g.windowing()), g.valueCoder(), g.windowing(), options,
          keyedStates(p, false), droppedDueToLateness(step), output(step));
    } else if (step instanceof Step.CombinePerKey) {
      Step.CombinePerKey c = (Step.CombinePerKey) step;
      return new CombineRoot(
          reader, p, new KeyBytes(c.keyCoder()), decoder(c.accumulatorCoder(), c.windowing()),
          (GlobalCombineFnRunner) GlobalCombineFnRunners.create(c.fn()), c.windowing().getTimestampCombiner(), options,
          scope(c), output(step));
    } else if (step instanceof Step.KeyedParDo) {
      Step.KeyedParDo k = (Step.KeyedParDo) step;
      return new KeyedParDoRoot(
          reader, p, new KeyBytes(k.keyCoder()), decoder(k.parDo().inputCoder(), k.parDo().windowing()),
          doFn(k.parDo()), keyedStates(p, true),
          sideInputWait(k.parDo().sideInputs(), p), scope(k));
    } else if (step instanceof Step.Rebalance) {
      Step.Rebalance r = (Step.Rebalance) step;
      return new RebalanceRoot(reader, p, decoder(r.coder(), r.windowing()), sideInputWait(r.waitFor(), p), output(step));
    }
    reader.close();
    throw new IllegalArgumentException("no root for " + step);
  }

  /**
   * The task's instance of a ParDo's DoFn. A streaming round's task of a partition (or of a
   * TestStream, one task a round) takes the set-up DoFn the previous round's task left.
   */
  private DoFnInstance doFn(Step.ParDo step) {
    StreamingStore.DoFnSlot slot = null;
    if (spec.round() != null && spec.input() instanceof TaskInput.Partition p) {
      slot = streamingStore.doFnSlot(spec.stageId(), p.partition(), step.name());
    } else if (spec.round() != null && spec.input() instanceof TaskInput.StreamEvent) {
      slot = streamingStore.doFnSlot(spec.stageId(), -1, step.name());
    }
    DoFnInstance instance = new DoFnInstance(step, options, sideInputs, outputs(step), finalizer, slot);
    doFns.add(instance);
    return instance;
  }

  /** Batch: fresh per key. Streaming: the partition's keys as earlier rounds left them. */
  private KeyedStates keyedStates(int partition, boolean timersHold) {
    if (spec.round() == null) {
      return KeyedStates.forBatch();
    }
    rootStates = streamingStore.keyed(spec.stageId(), partition, timersHold);
    return rootStates;
  }

  /** Batch, or no side inputs to wait for: none. Streaming: the partition's elements still waiting, and the views' watermarks. */
  private SideInputWait sideInputWait(List<PCollectionView<?>> views, int partition) {
    if (spec.round() == null || views.isEmpty()) {
      return SideInputWait.none();
    }
    rootWait =
        new SideInputWait(
            views, sideInputs, spec.round().sideInputWatermarks(), streamingStore.waiting(spec.stageId(), partition));
    return rootWait;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private ShuffleWriter<WindowedValue<?>> writer(Step.Boundary boundary, Coder<?> coder, WindowingStrategy<?, ?> windowing, int partitions) {
    String regionId = spec.name() + "-w" + writers.size();
    // Only keyed boundaries are read grouped by key; side inputs and rebalances are read in write order.
    boolean keyed = boundary instanceof Step.GroupByKey || boundary instanceof Step.KeyedParDo || boundary instanceof Step.CombinePerKey;
    boolean sorted = keyed && options.as(DmergePipelineOptions.class).getSortedShuffle();
    ShuffleWriter<WindowedValue<?>> writer =
        new ShuffleWriter<>(dmerge, regionId, (Coder) fullCoder(coder, windowing), partitions, spec.blockBytes(), sorted);
    writers.put(boundary.name(), writer);
    return writer;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static ShuffleReader.Decoder<WindowedValue<Object>> decoder(Coder<?> coder, WindowingStrategy<?, ?> windowing) {
    return new ShuffleReader.Decoder<>((Coder) fullCoder(coder, windowing));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Coder<?> fullCoder(Coder<?> coder, WindowingStrategy<?, ?> windowing) {
    return WindowedValues.getFullCoder(coder, (Coder<? extends BoundedWindow>) windowing.getWindowFn().windowCoder());
  }

  /** The step's count of elements dropped for arriving beyond the allowed lateness, named as runners-core names it. */
  private CounterCell droppedDueToLateness(Step step) {
    return metrics
        .getContainer(step.name())
        .getCounter(MetricName.named(LateDataDroppingDoFnRunner.class, LateDataDroppingDoFnRunner.DROPPED_DUE_TO_LATENESS));
  }

  private MetricsScope scope(Step step) {
    return new MetricsScope(metrics.getContainer(step.name()));
  }

  /** The receiver of a single-output step. */
  private Receiver output(Step step) {
    return receiver(step, step.outputs().values().iterator().next());
  }

  private Map<TupleTag<?>, ElementCount> outputs(Step.ParDo step) {
    Map<TupleTag<?>, ElementCount> out = new HashMap<>();
    step.outputs().forEach((tag, pc) -> out.put(tag, receiver(step, pc)));
    return out;
  }

  /** What {@code producer} emits into {@code pcollection}: counted, then fed to every consumer fused behind. */
  private ElementCount receiver(Step producer, int pcollection) {
    ElementCount count =
        new ElementCount(
            producer.name(), spec.stage().outputName(pcollection), Receiver.fanOut(consumers.getOrDefault(pcollection, List.of())));
    elementCounts.add(count);
    return count;
  }

  /** Closes everything, even after a failure; a failing close must not hide the task's own outcome. */
  private void closeAll(Root root) {
    List<AutoCloseable> all = new ArrayList<>(operators.size() + 1);
    if (root != null) {
      all.add(root);
    }
    all.addAll(operators);
    for (AutoCloseable c : all) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("closing {} of task {} failed", c, spec.name(), e);
      }
    }
    writers.values().forEach(ShuffleWriter::close);
  }
}
