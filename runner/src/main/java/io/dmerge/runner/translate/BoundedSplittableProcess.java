package io.dmerge.runner.translate;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.fn.splittabledofn.RestrictionTrackers;
import org.apache.beam.sdk.fn.splittabledofn.RestrictionTrackers.ClaimObserver;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverrideFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.Values;
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
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.Uninterruptibles;
import org.joda.time.Instant;

/**
 * Runs a bounded splittable DoFn's restrictions, in place of Beam's {@code
 * SplittableParDoNaiveBounded}, which cannot be used when the DoFn asks for a {@link
 * DoFn.BundleFinalizer}: its nested argument provider throws for one, and it loops over {@code
 * resume()} inside the call that processes the element, so a DoFn that waits for its bundle to
 * commit (the usual reason to register a finalization callback) would wait forever.
 *
 * <p>The expansion is Beam's (a {@link Reshuffle} of the keyed restrictions, then a ParDo over
 * them) and so is the processing of a restriction: a tracker and a watermark estimator from the
 * DoFn, {@code resume()} answered by checkpointing the tracker and processing the residual after
 * the resume delay. Two things differ. The DoFn gets the task's bundle finalizer. And a DoFn that
 * registered a finalization callback while processing an element and then resumes is not resumed
 * in the same bundle: the residual goes to the {@link #residualTag() residual output}, which the
 * planner feeds back into this step in a later task of its own, after this task's output is
 * written and its finalization callbacks have run ({@code Planner}, {@code Scheduler}). The
 * residual keeps the element's timestamp, window and pane; its watermark estimator starts again
 * from the DoFn's initial state for the residual restriction, and the resume delay is not waited
 * for (it is a hint; the next task starts no sooner than this one commits).
 */
public final class BoundedSplittableProcess {
  private BoundedSplittableProcess() {}

  /** Replaces {@link SplittableParDo.ProcessKeyedElements} of a bounded-per-element DoFn. */
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
      if (DoFnSignatures.signatureForDoFn(transform.getTransform().getFn()).isBoundedPerElement() != IsBounded.BOUNDED) {
        throw new IllegalArgumentException("expecting a bounded-per-element splittable DoFn");
      }
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
      ProcessFn<InputT, OutputT, RestrictionT, Object, WatermarkEstimatorStateT> fn =
          new ProcessFn<>(original.getFn(), original.getSideInputMapping(), original.getMainOutputTag());
      PCollectionTuple out =
          input
              .apply("Reshuffle", Reshuffle.of())
              .apply("Drop key", Values.create())
              .apply(
                  "NaiveProcess",
                  ParDo.of(fn)
                      .withSideInputs(original.getSideInputs())
                      .withOutputTags(
                          original.getMainOutputTag(), original.getAdditionalOutputTags().and(fn.residualTag())));
      out.get(fn.residualTag()).setCoder(KvCoder.of(original.getElementCoder(), original.getRestrictionCoder()));
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

  /**
   * Processes one element's restriction fully, or until the DoFn resumes after registering a
   * finalization callback; then it outputs the residual restriction to {@link #residualTag()}.
   */
  public static final class ProcessFn<InputT, OutputT, RestrictionT, PositionT, WatermarkEstimatorStateT>
      extends DoFn<KV<InputT, RestrictionT>, OutputT> {
    private final DoFn<InputT, OutputT> fn;
    private final Map<String, PCollectionView<?>> sideInputMapping;
    private final TupleTag<OutputT> mainOutputTag;
    private final TupleTag<KV<InputT, RestrictionT>> residualTag = new TupleTag<>("dmerge-sdf-residual");
    private transient DoFnInvoker<InputT, OutputT> invoker;

    ProcessFn(DoFn<InputT, OutputT> fn, Map<String, PCollectionView<?>> sideInputMapping, TupleTag<OutputT> mainOutputTag) {
      this.fn = fn;
      this.sideInputMapping = sideInputMapping;
      this.mainOutputTag = mainOutputTag;
    }

    /** Where residuals to process in a later task go: the element with its residual restriction. */
    public TupleTag<KV<InputT, RestrictionT>> residualTag() {
      return residualTag;
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
    public void process(ProcessContext c, BoundedWindow window, MultiOutputReceiver receivers, BundleFinalizer finalizer) {
      InputT element = c.element().getKey();
      RestrictionT restriction = c.element().getValue();
      WatermarkEstimatorStateT watermarkState =
          (WatermarkEstimatorStateT) invoker.invokeGetInitialWatermarkEstimatorState(
              new ElementArguments<>("GetInitialWatermarkEstimatorState", c, element, window, restriction, null, sideInputMapping));
      TrackingFinalizer tracking = new TrackingFinalizer(finalizer);
      while (true) {
        // Observed, as Beam's naive expansion does, for a tracker that is safe to share with the runner.
        RestrictionTracker<RestrictionT, PositionT> tracker =
            RestrictionTrackers.observe(
                (RestrictionTracker<RestrictionT, PositionT>) invoker.invokeNewTracker(
                    new ElementArguments<>("NewTracker", c, element, window, restriction, watermarkState, sideInputMapping)),
                new ClaimObserver<PositionT>() {
                  @Override
                  public void onClaimed(PositionT position) {}

                  @Override
                  public void onClaimFailed(PositionT position) {}
                });
        WatermarkEstimator<WatermarkEstimatorStateT> estimator =
            (WatermarkEstimator<WatermarkEstimatorStateT>) invoker.invokeNewWatermarkEstimator(
                new ElementArguments<>("NewWatermarkEstimator", c, element, window, restriction, watermarkState, sideInputMapping));
        ProcessContinuation continuation =
            invoker.invokeProcessElement(
                new ProcessArguments<>(fn, c, element, window, tracker, estimator, sideInputMapping, receivers, mainOutputTag, tracking));
        if (!continuation.shouldResume()) {
          return;
        }
        // The watermark before the split applies to both the primary and the residual.
        watermarkState = estimator.getState();
        SplitResult<RestrictionT> split = tracker.trySplit(0);
        if (split == null) {
          return;
        }
        if (tracking.used) {
          // The DoFn waits for this bundle to commit: resume it in a later task.
          c.outputWindowedValue(
              residualTag, KV.of(element, split.getResidual()), c.timestamp(), List.of(window), c.pane());
          return;
        }
        restriction = split.getResidual();
        Uninterruptibles.sleepUninterruptibly(continuation.resumeDelay().getMillis(), TimeUnit.MILLISECONDS);
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
      return BoundedSplittableProcess.class.getSimpleName() + "/" + method;
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
