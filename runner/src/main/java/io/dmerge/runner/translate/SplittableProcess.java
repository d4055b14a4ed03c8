package io.dmerge.runner.translate;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.fn.splittabledofn.RestrictionTrackers;
import org.apache.beam.sdk.fn.splittabledofn.RestrictionTrackers.ClaimObserver;
import org.apache.beam.sdk.fn.splittabledofn.WatermarkEstimators;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverrideFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker.BaseArgumentProvider;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
import org.apache.beam.sdk.transforms.splittabledofn.SplitResult;
import org.apache.beam.sdk.transforms.splittabledofn.WatermarkEstimator;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.construction.PTransformReplacements;
import org.apache.beam.sdk.util.construction.ReplacementOutputs;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.values.CausedByDrain;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollection.IsBounded;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.ThreadFactoryBuilder;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Runs a splittable DoFn's restrictions, in place of Beam's {@code SplittableParDoNaiveBounded}
 * (which cannot give the DoFn a {@link DoFn.BundleFinalizer}, and loops over {@code resume()}
 * inside one call, so a DoFn waiting for its bundle to commit would wait forever) and of
 * runners-core's keyed-work-item expansion for unbounded ones.
 *
 * <p>The expansion is Beam's (a {@link Reshuffle} of the keyed restrictions, then a ParDo over
 * them, here as {@link SplittableWork}); the processing of a restriction is runners-core's: a
 * tracker and a watermark estimator from the DoFn, and {@code resume()} or a runner-initiated
 * checkpoint answered by splitting the tracker at its current position. What happens to the
 * residual differs:
 *
 * <ul>
 *   <li>A bounded DoFn's residual is processed in the same call, after the resume delay, unless the
 *       DoFn registered a finalization callback: then it waits for a later task.
 *   <li>An unbounded DoFn is checkpointed after {@link #MAX_UNBOUNDED_CALL} at the latest, and its
 *       residual always waits for a later task: the next streaming round's, no sooner than the
 *       resume delay.
 * </ul>
 *
 * <p>A residual waiting for a later task goes to the {@link ProcessFn#residualTag() residual
 * output}, which the planner feeds back into this step in a stage of its own ({@code Planner},
 * {@code Scheduler}). It carries the watermark estimator's state, and the watermark it holds the
 * output at until it is processed.
 */
public final class SplittableProcess {
  /** How long an unbounded DoFn's call may claim work before the runner checkpoints it, so that its round ends. */
  static final Duration MAX_UNBOUNDED_CALL = Duration.standardSeconds(1);

  /** Runs the checkpoints that end over-long calls. */
  private static final ScheduledExecutorService CHECKPOINTS =
      Executors.newSingleThreadScheduledExecutor(
          new ThreadFactoryBuilder().setNameFormat("dmerge-sdf-checkpoint").setDaemon(true).build());

  private SplittableProcess() {}

  /** Replaces {@link SplittableParDo.ProcessKeyedElements}, of a bounded or an unbounded DoFn. */
  public static final class OverrideFactory<InputT, OutputT, RestrictionT, WatermarkEstimatorStateT>
      implements PTransformOverrideFactory<
          PCollection<KV<byte[], KV<InputT, RestrictionT>>>,
          PCollectionTuple,
          SplittableParDo.ProcessKeyedElements<InputT, OutputT, RestrictionT, WatermarkEstimatorStateT>> {
    @Override
    public PTransformReplacement<PCollection<KV<byte[], KV<InputT, RestrictionT>>>, PCollectionTuple>
        getReplacementTransform(
            AppliedPTransform<
                    PCollection<KV<byte[], KV<InputT, RestrictionT>>>,
                    PCollectionTuple,
                    SplittableParDo.ProcessKeyedElements<InputT, OutputT, RestrictionT, WatermarkEstimatorStateT>>
                transform) {
      return PTransformReplacement.of(
          PTransformReplacements.getSingletonMainInput(transform), new Expansion<>(transform.getTransform()));
    }

    @Override
    public Map<PCollection<?>, ReplacementOutput> mapOutputs(
        Map<TupleTag<?>, PCollection<?>> outputs, PCollectionTuple newOutput) {
      // The residual output is the runner's own; only the DoFn's outputs replace the original's.
      return ReplacementOutputs.tagged(outputs, newOutput);
    }
  }

  private static final class Expansion<InputT, OutputT, RestrictionT, WatermarkEstimatorStateT>
      extends PTransform<PCollection<KV<byte[], KV<InputT, RestrictionT>>>, PCollectionTuple> {
    private final SplittableParDo.ProcessKeyedElements<InputT, OutputT, RestrictionT, WatermarkEstimatorStateT> original;

    Expansion(SplittableParDo.ProcessKeyedElements<InputT, OutputT, RestrictionT, WatermarkEstimatorStateT> original) {
      this.original = original;
    }

    @Override
    @SuppressWarnings("unchecked")
    public PCollectionTuple expand(PCollection<KV<byte[], KV<InputT, RestrictionT>>> input) {
      boolean unbounded = DoFnSignatures.signatureForDoFn(original.getFn()).isBoundedPerElement() == IsBounded.UNBOUNDED;
      ProcessFn<InputT, OutputT, RestrictionT, Object, WatermarkEstimatorStateT> fn =
          new ProcessFn<>(original.getFn(), original.getSideInputMapping(), original.getMainOutputTag(), unbounded);
      SplittableWork.WorkCoder<InputT, RestrictionT, WatermarkEstimatorStateT> workCoder =
          new SplittableWork.WorkCoder<>(
              original.getElementCoder(), original.getRestrictionCoder(), original.getWatermarkEstimatorStateCoder());
      PCollectionTuple out =
          input
              .apply("Reshuffle", Reshuffle.of())
              .apply("ToWork", ParDo.of(new ToWork<InputT, RestrictionT, WatermarkEstimatorStateT>()))
              .setCoder(workCoder)
              .apply(
                  "ProcessRestrictions",
                  ParDo.of(fn)
                      .withSideInputs(original.getSideInputs())
                      .withOutputTags(
                          original.getMainOutputTag(), original.getAdditionalOutputTags().and(fn.residualTag())));
      out.get(fn.residualTag()).setCoder(workCoder);
      // Only the DoFn's own outputs are the transform's; the residuals stay inside the runner.
      PCollectionTuple visible = PCollectionTuple.empty(input.getPipeline());
      for (Map.Entry<TupleTag<?>, PCollection<?>> e : out.getAll().entrySet()) {
        if (!e.getKey().equals(fn.residualTag())) {
          visible = visible.and((TupleTag<Object>) e.getKey(), (PCollection<Object>) e.getValue());
        }
      }
      return visible;
    }
  }

  /** Drops the key Beam's expansion gave each restriction for the shuffle; the work starts fresh. */
  private static final class ToWork<InputT, RestrictionT, WatermarkEstimatorStateT>
      extends DoFn<KV<byte[], KV<InputT, RestrictionT>>, SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT>> {
    @ProcessElement
    public void process(
        @Element KV<byte[], KV<InputT, RestrictionT>> keyed,
        OutputReceiver<SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT>> out) {
      out.output(SplittableWork.fresh(keyed.getValue().getKey(), keyed.getValue().getValue()));
    }
  }

  /**
   * Processes a restriction: a bounded one fully, unless the DoFn resumes after registering a
   * finalization callback; an unbounded one for one call. What is left goes to {@link #residualTag()}.
   */
  public static final class ProcessFn<InputT, OutputT, RestrictionT, PositionT, WatermarkEstimatorStateT>
      extends DoFn<SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT>, OutputT> {
    private final DoFn<InputT, OutputT> fn;
    private final Map<String, PCollectionView<?>> sideInputMapping;
    private final TupleTag<OutputT> mainOutputTag;
    private final boolean unbounded;
    private final TupleTag<SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT>> residualTag =
        new TupleTag<>("dmerge-sdf-residual");
    private transient DoFnInvoker<InputT, OutputT> invoker;

    ProcessFn(
        DoFn<InputT, OutputT> fn, Map<String, PCollectionView<?>> sideInputMapping, TupleTag<OutputT> mainOutputTag,
        boolean unbounded) {
      this.fn = fn;
      this.sideInputMapping = sideInputMapping;
      this.mainOutputTag = mainOutputTag;
      this.unbounded = unbounded;
    }

    /** Where residuals to process in a later task go. */
    public TupleTag<SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT>> residualTag() {
      return residualTag;
    }

    /** Whether the DoFn is unbounded per element: then the pipeline streams. */
    public boolean unbounded() {
      return unbounded;
    }

    @Setup
    public void setup(PipelineOptions options) {
      invoker = DoFnInvokers.invokerFor(fn);
      invoker.invokeSetup(new Arguments<>("Setup") {
        @Override
        public PipelineOptions pipelineOptions() {
          return options;
        }
      });
    }

    @StartBundle
    public void startBundle(StartBundleContext c) {
      invoker.invokeStartBundle(new Arguments<>("StartBundle") {
        @Override
        public DoFn<InputT, OutputT>.StartBundleContext startBundleContext(DoFn<InputT, OutputT> doFn) {
          return doFn.new StartBundleContext() {
            @Override
            public PipelineOptions getPipelineOptions() {
              return c.getPipelineOptions();
            }
          };
        }

        @Override
        public PipelineOptions pipelineOptions() {
          return c.getPipelineOptions();
        }
      });
    }

    @ProcessElement
    @SuppressWarnings("unchecked")
    public void process(ProcessContext c, BoundedWindow window, MultiOutputReceiver receivers, BundleFinalizer finalizer)
        throws InterruptedException {
      SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT> work = c.element();
      sleepUntil(work.resumeAt());
      InputT element = work.element();
      RestrictionT restriction = work.restriction();
      WatermarkEstimatorStateT watermarkState =
          work.resumed()
              ? work.watermarkState()
              : (WatermarkEstimatorStateT) invoker.invokeGetInitialWatermarkEstimatorState(
                  new ElementArguments<>("GetInitialWatermarkEstimatorState", c, element, window, restriction, null, sideInputMapping));
      TrackingFinalizer tracking = new TrackingFinalizer(finalizer);
      while (true) {
        Call<RestrictionT, PositionT, WatermarkEstimatorStateT> call =
            new Call<>(
                (RestrictionTracker<RestrictionT, PositionT>) invoker.invokeNewTracker(
                    new ElementArguments<>("NewTracker", c, element, window, restriction, watermarkState, sideInputMapping)),
                (WatermarkEstimator<WatermarkEstimatorStateT>) invoker.invokeNewWatermarkEstimator(
                    new ElementArguments<>("NewWatermarkEstimator", c, element, window, restriction, watermarkState, sideInputMapping)),
                unbounded ? MAX_UNBOUNDED_CALL : null);
        ProcessContinuation continuation =
            invoker.invokeProcessElement(
                new ProcessArguments<>(
                    fn, c, element, window, call.tracker, call.estimator, sideInputMapping, receivers, mainOutputTag, tracking));
        Checkpoint<RestrictionT, WatermarkEstimatorStateT> residual = call.finish(continuation);
        if (residual == null) {
          return;
        }
        Instant resumeAt = Instant.now().plus(continuation.shouldResume() ? continuation.resumeDelay() : Duration.ZERO);
        if (unbounded || tracking.used) {
          c.outputWindowedValue(
              residualTag,
              new SplittableWork<>(element, residual.restriction(), true, residual.state(), residual.watermark(), resumeAt),
              c.timestamp(), List.of(window), c.pane());
          return;
        }
        restriction = residual.restriction();
        watermarkState = residual.state();
        sleepUntil(resumeAt);
      }
    }

    private static void sleepUntil(Instant time) throws InterruptedException {
      long wait = time.getMillis() - System.currentTimeMillis();
      if (wait > 0) {
        Thread.sleep(wait);
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      invoker.invokeFinishBundle(new Arguments<>("FinishBundle") {
        @Override
        public DoFn<InputT, OutputT>.FinishBundleContext finishBundleContext(DoFn<InputT, OutputT> doFn) {
          return doFn.new FinishBundleContext() {
            @Override
            public PipelineOptions getPipelineOptions() {
              return c.getPipelineOptions();
            }

            @Override
            public void output(OutputT output, Instant timestamp, BoundedWindow window) {
              throw new UnsupportedOperationException("output from @FinishBundle of a splittable DoFn is not supported");
            }

            @Override
            public <T> void output(TupleTag<T> tag, T output, Instant timestamp, BoundedWindow window) {
              throw new UnsupportedOperationException("output from @FinishBundle of a splittable DoFn is not supported");
            }
          };
        }

        @Override
        public PipelineOptions pipelineOptions() {
          return c.getPipelineOptions();
        }
      });
    }

    @Teardown
    public void teardown() {
      if (invoker != null) {
        invoker.invokeTeardown();
      }
    }
  }

  /** What is left of a restriction after a call, with the watermark and estimator state from just before the split. */
  private record Checkpoint<RestrictionT, WatermarkEstimatorStateT>(
      RestrictionT restriction, Instant watermark, WatermarkEstimatorStateT state) {}

  /**
   * One {@code @ProcessElement} call on a restriction, as runners-core's {@code
   * OutputAndTimeBoundedSplittableProcessElementInvoker} runs it: with a time limit, counted from
   * the first claim, the runner checkpoints the tracker (splits it at its current position) so that
   * further claims fail and the DoFn returns.
   */
  private static final class Call<RestrictionT, PositionT, WatermarkEstimatorStateT> implements ClaimObserver<PositionT> {
    final RestrictionTracker<RestrictionT, PositionT> tracker;
    final WatermarkEstimators.WatermarkAndStateObserver<WatermarkEstimatorStateT> estimator;
    private final Duration limit;
    private Future<?> scheduled;
    private boolean claimed;
    private boolean checkpointed;
    private Checkpoint<RestrictionT, WatermarkEstimatorStateT> checkpoint;

    /** @param limit how long the call may claim work, or null for as long as it likes */
    Call(RestrictionTracker<RestrictionT, PositionT> tracker, WatermarkEstimator<WatermarkEstimatorStateT> estimator, Duration limit) {
      // Observed trackers are synchronized: the checkpoint splits them from another thread.
      this.tracker = RestrictionTrackers.observe(tracker, this);
      this.estimator = WatermarkEstimators.threadSafe(estimator);
      this.limit = limit;
    }

    @Override
    public void onClaimed(PositionT position) {
      // Not before the first claim: a checkpoint before any work would leave all of it.
      if (!claimed && limit != null) {
        scheduled = CHECKPOINTS.schedule(this::checkpoint, limit.getMillis(), TimeUnit.MILLISECONDS);
      }
      claimed = true;
    }

    @Override
    public void onClaimFailed(PositionT position) {}

    private synchronized Checkpoint<RestrictionT, WatermarkEstimatorStateT> checkpoint() {
      if (!checkpointed) {
        checkpointed = true;
        KV<Instant, WatermarkEstimatorStateT> watermark = estimator.getWatermarkAndState();
        SplitResult<RestrictionT> split = tracker.trySplit(0);
        if (split != null) {
          checkpoint = new Checkpoint<>(split.getResidual(), watermark.getKey(), watermark.getValue());
        }
      }
      return checkpoint;
    }

    /**
     * After the call: the residual left by the runner's checkpoint or by the DoFn's {@code
     * resume()}, or null when the restriction is done (which the tracker checks).
     */
    Checkpoint<RestrictionT, WatermarkEstimatorStateT> finish(DoFn.ProcessContinuation continuation) {
      if (scheduled != null) {
        scheduled.cancel(false);
      }
      Checkpoint<RestrictionT, WatermarkEstimatorStateT> residual;
      synchronized (this) {
        residual = continuation.shouldResume() ? checkpoint() : checkpoint;
      }
      tracker.checkDone();
      return residual;
    }
  }

  /** Passes the task's finalizer on and notes whether the DoFn used it. */
  private static final class TrackingFinalizer implements DoFn.BundleFinalizer {
    private final DoFn.BundleFinalizer task;
    private boolean used;

    TrackingFinalizer(DoFn.BundleFinalizer task) {
      this.task = task;
    }

    @Override
    public void afterBundleCommit(Instant callbackExpiry, Callback callback) {
      used = true;
      task.afterBundleCommit(callbackExpiry, callback);
    }
  }

  private abstract static class Arguments<InputT, OutputT> extends BaseArgumentProvider<InputT, OutputT> {
    private final String method;

    Arguments(String method) {
      this.method = method;
    }

    @Override
    public String getErrorContext() {
      return SplittableProcess.class.getSimpleName() + "/" + method;
    }
  }

  /** What the DoFn's per-restriction methods (initial watermark state, tracker, estimator) may ask for. */
  private static class ElementArguments<InputT, OutputT> extends Arguments<InputT, OutputT> {
    final DoFn<?, OutputT>.ProcessContext outer;
    final InputT element;
    final BoundedWindow window;
    final Object restriction;
    final Object watermarkState;
    final Map<String, PCollectionView<?>> sideInputMapping;

    ElementArguments(
        String method, DoFn<?, OutputT>.ProcessContext outer, InputT element, BoundedWindow window, Object restriction,
        Object watermarkState, Map<String, PCollectionView<?>> sideInputMapping) {
      super(method);
      this.outer = outer;
      this.element = element;
      this.window = window;
      this.restriction = restriction;
      this.watermarkState = watermarkState;
      this.sideInputMapping = sideInputMapping;
    }

    @Override
    public InputT element(DoFn<InputT, OutputT> doFn) {
      return element;
    }

    @Override
    public Object restriction() {
      return restriction;
    }

    @Override
    public Object watermarkEstimatorState() {
      return watermarkState;
    }

    @Override
    public Instant timestamp(DoFn<InputT, OutputT> doFn) {
      return outer.timestamp();
    }

    @Override
    public PipelineOptions pipelineOptions() {
      return outer.getPipelineOptions();
    }

    @Override
    public PaneInfo paneInfo(DoFn<InputT, OutputT> doFn) {
      return outer.pane();
    }

    @Override
    public BoundedWindow window() {
      return window;
    }

    @Override
    public Object sideInput(String tagId) {
      PCollectionView<?> view = sideInputMapping.get(tagId);
      if (view == null) {
        throw new IllegalArgumentException("calling getSideInput() with unknown view " + tagId);
      }
      return outer.sideInput(view);
    }
  }

  /** What the DoFn's {@code @ProcessElement} may ask for. */
  private static final class ProcessArguments<InputT, OutputT> extends ElementArguments<InputT, OutputT> {
    private final DoFn<InputT, OutputT> fn;
    private final RestrictionTracker<?, ?> tracker;
    private final WatermarkEstimator<?> estimator;
    private final DoFn.MultiOutputReceiver receivers;
    private final TupleTag<OutputT> mainOutputTag;
    private final DoFn.BundleFinalizer finalizer;

    ProcessArguments(
        DoFn<InputT, OutputT> fn, DoFn<?, OutputT>.ProcessContext outer, InputT element, BoundedWindow window,
        RestrictionTracker<?, ?> tracker, WatermarkEstimator<?> estimator, Map<String, PCollectionView<?>> sideInputMapping,
        DoFn.MultiOutputReceiver receivers, TupleTag<OutputT> mainOutputTag, DoFn.BundleFinalizer finalizer) {
      super("ProcessElement", outer, element, window, null, null, sideInputMapping);
      this.fn = fn;
      this.tracker = tracker;
      this.estimator = estimator;
      this.receivers = receivers;
      this.mainOutputTag = mainOutputTag;
      this.finalizer = finalizer;
    }

    @Override
    public Object restriction() {
      return tracker.currentRestriction();
    }

    @Override
    public RestrictionTracker<?, ?> restrictionTracker() {
      return tracker;
    }

    @Override
    public WatermarkEstimator<?> watermarkEstimator() {
      return estimator;
    }

    @Override
    public Object watermarkEstimatorState() {
      throw new UnsupportedOperationException("@WatermarkEstimatorState parameters are not supported");
    }

    @Override
    public DoFn.BundleFinalizer bundleFinalizer() {
      return finalizer;
    }

    @Override
    public CausedByDrain causedByDrain(DoFn<InputT, OutputT> doFn) {
      return outer.causedByDrain();
    }

    @Override
    public DoFn.OutputReceiver<OutputT> outputReceiver(DoFn<InputT, OutputT> doFn) {
      return receivers.get(mainOutputTag);
    }

    @Override
    public DoFn.MultiOutputReceiver taggedOutputReceiver(DoFn<InputT, OutputT> doFn) {
      return receivers;
    }

    @Override
    public DoFn<InputT, OutputT>.ProcessContext processContext(DoFn<InputT, OutputT> doFn) {
      return new NestedContext<>(fn, outer, element);
    }
  }

  /** The DoFn's view of the element being processed: the outer context, with the element unkeyed. */
  private static final class NestedContext<InputT, OutputT> extends DoFn<InputT, OutputT>.ProcessContext {
    private final DoFn<?, OutputT>.ProcessContext outer;
    private final InputT element;

    NestedContext(DoFn<InputT, OutputT> fn, DoFn<?, OutputT>.ProcessContext outer, InputT element) {
      fn.super();
      this.outer = outer;
      this.element = element;
    }

    @Override
    public InputT element() {
      return element;
    }

    @Override
    public <T> T sideInput(PCollectionView<T> view) {
      return outer.sideInput(view);
    }

    @Override
    public Instant timestamp() {
      return outer.timestamp();
    }

    @Override
    public PaneInfo pane() {
      return outer.pane();
    }

    @Override
    public String currentRecordId() {
      return outer.currentRecordId();
    }

    @Override
    public Long currentRecordOffset() {
      return outer.currentRecordOffset();
    }

    @Override
    public CausedByDrain causedByDrain() {
      return outer.causedByDrain();
    }

    @Override
    public PipelineOptions getPipelineOptions() {
      return outer.getPipelineOptions();
    }

    @Override
    public void output(OutputT output) {
      outer.output(output);
    }

    @Override
    public void outputWithTimestamp(OutputT output, Instant timestamp) {
      outer.outputWithTimestamp(output, timestamp);
    }

    @Override
    public void outputWindowedValue(
        OutputT output, Instant timestamp, java.util.Collection<? extends BoundedWindow> windows, PaneInfo pane) {
      outer.outputWindowedValue(output, timestamp, windows, pane);
    }

    @Override
    public <T> void output(TupleTag<T> tag, T output) {
      outer.output(tag, output);
    }

    @Override
    public <T> void outputWithTimestamp(TupleTag<T> tag, T output, Instant timestamp) {
      outer.outputWithTimestamp(tag, output, timestamp);
    }

    @Override
    public <T> void outputWindowedValue(
        TupleTag<T> tag, T output, Instant timestamp, java.util.Collection<? extends BoundedWindow> windows, PaneInfo pane) {
      outer.outputWindowedValue(tag, output, timestamp, windows, pane);
    }

    @Override
    public <T> void outputWindowedValue(TupleTag<T> tag, WindowedValue<T> value) {
      outer.outputWindowedValue(tag, value);
    }

    @Override
    public void outputWindowedValue(WindowedValue<OutputT> value) {
      outer.outputWindowedValue(value);
    }
  }
}
