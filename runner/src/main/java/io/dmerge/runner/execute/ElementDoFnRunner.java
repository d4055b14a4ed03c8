package io.dmerge.runner.execute;

import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature.Parameter;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.UserCodeException;
import org.apache.beam.sdk.util.WindowedValueMultiReceiver;
import org.apache.beam.sdk.util.WindowedValueReceiver;
import org.apache.beam.sdk.values.CausedByDrain;
import org.apache.beam.sdk.values.OutputBuilder;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.joda.time.format.PeriodFormat;

/**
 * Processes elements of the most common kind of DoFn, one whose {@code @ProcessElement} takes
 * only the element, its timestamp, pane, causedByDrain, the options and the main output receiver
 * (MapElements, FlatMapElements, Filter, most user DoFns), with one reused argument provider and
 * receiver, and {@link OutputReceiver#output} as the input's shape around the output
 * ({@link ReusedWindowedValue}): the
 * {@link org.apache.beam.runners.core.SimpleDoFnRunner} builds a context, a receiver and two
 * output builders per element and checks every output's timestamp, which took about a third of a
 * word count's time. Everything else (bundle methods, other outputs) goes to {@code bundles}, a
 * SimpleDoFnRunner on the same DoFn, and outputs other than a plain {@code output} take Beam's
 * builder path with its timestamp check, so behaviour is Beam's.
 */
final class ElementDoFnRunner implements DoFnRunner<Object, Object> {
  private final DoFnRunner<Object, Object> bundles;
  private final DoFnInvoker<Object, Object> invoker;
  private final Arguments arguments;

  private ElementDoFnRunner(
      DoFnRunner<Object, Object> bundles,
      PipelineOptions options,
      WindowedValueMultiReceiver outputs,
      TupleTag<Object> mainOutput) {
    this.bundles = bundles;
    this.invoker = DoFnInvokers.invokerFor(bundles.getFn());
    this.arguments = new Arguments(bundles.getFn(), options, outputs, mainOutput);
  }

  /** {@code simple} itself when its DoFn needs more than this runner provides. */
  static DoFnRunner<Object, Object> wrapIfEligible(
      DoFnRunner<Object, Object> simple,
      boolean hasSideInputs,
      PipelineOptions options,
      WindowedValueMultiReceiver outputs,
      TupleTag<Object> mainOutput) {
    return !hasSideInputs && eligible(DoFnSignatures.getSignature(simple.getFn().getClass()))
        ? new ElementDoFnRunner(simple, options, outputs, mainOutput)
        : simple;
  }

  static boolean eligible(DoFnSignature signature) {
    DoFnSignature.ProcessElementMethod process = signature.processElement();
    if (process.isSplittable()
        || process.requiresTimeSortedInput()
        || !signature.stateDeclarations().isEmpty()
        || !signature.timerDeclarations().isEmpty()
        || !signature.timerFamilyDeclarations().isEmpty()
        || signature.onWindowExpiration() != null) {
      return false;
    }
    for (Parameter p : process.extraParameters()) {
      boolean plain =
          p instanceof Parameter.ElementParameter
              || p instanceof Parameter.TimestampParameter
              || p instanceof Parameter.PaneInfoParameter
              || p instanceof Parameter.CausedByDrainParameter
              || p instanceof Parameter.PipelineOptionsParameter
              || (p instanceof Parameter.OutputReceiverParameter && !((Parameter.OutputReceiverParameter) p).isRowReceiver());
      if (!plain) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void startBundle() {
    bundles.startBundle();
  }

  @Override
  public void processElement(WindowedValue<Object> element) {
    arguments.element = element;
    try {
      invoker.invokeProcessElement(arguments);
    } catch (Exception e) {
      throw UserCodeException.wrap(e);
    } finally {
      arguments.element = null;
    }
  }

  @Override
  public <KeyT> void onTimer(
      String timerId,
      String timerFamilyId,
      KeyT key,
      BoundedWindow window,
      Instant timestamp,
      Instant outputTimestamp,
      TimeDomain timeDomain,
      CausedByDrain causedByDrain) {
    bundles.onTimer(timerId, timerFamilyId, key, window, timestamp, outputTimestamp, timeDomain, causedByDrain);
  }

  @Override
  public void finishBundle() {
    bundles.finishBundle();
  }

  @Override
  public <KeyT> void onWindowExpiration(BoundedWindow window, Instant timestamp, KeyT key) {
    bundles.onWindowExpiration(window, timestamp, key);
  }

  @Override
  public DoFn<Object, Object> getFn() {
    return bundles.getFn();
  }

  /** The current element's arguments, and the main output receiver that reads it. */
  private static final class Arguments extends DoFnInvoker.BaseArgumentProvider<Object, Object>
      implements DoFn.OutputReceiver<Object> {
    private final DoFn<Object, Object> fn;
    private final PipelineOptions options;
    private final WindowedValueMultiReceiver outputs;
    private final TupleTag<Object> mainOutput;
    private final WindowedValueReceiver<Object> built = this::outputBuilt;
    private final ReusedWindowedValue output = new ReusedWindowedValue();
    WindowedValue<Object> element;

    Arguments(DoFn<Object, Object> fn, PipelineOptions options, WindowedValueMultiReceiver outputs, TupleTag<Object> mainOutput) {
      this.fn = fn;
      this.options = options;
      this.outputs = outputs;
      this.mainOutput = mainOutput;
    }

    @Override
    public Object element(DoFn<Object, Object> doFn) {
      return element.getValue();
    }

    @Override
    public Instant timestamp(DoFn<Object, Object> doFn) {
      return element.getTimestamp();
    }

    @Override
    public PaneInfo paneInfo(DoFn<Object, Object> doFn) {
      return element.getPaneInfo();
    }

    @Override
    public CausedByDrain causedByDrain(DoFn<Object, Object> doFn) {
      return element.causedByDrain();
    }

    @Override
    public PipelineOptions pipelineOptions() {
      return options;
    }

    @Override
    public DoFn.OutputReceiver<Object> outputReceiver(DoFn<Object, Object> doFn) {
      return this;
    }

    /** Same timestamp, windows, pane and metadata as the input: nothing to check. */
    @Override
    public void output(Object value) {
      try {
        outputs.output(mainOutput, output.of(element, value));
      } finally {
        output.clear();
      }
    }

    @Override
    public OutputBuilder<Object> builder(Object value) {
      return WindowedValues.builder(element).withValue(value).setReceiver(built);
    }

    /** Where {@link #builder} outputs land: checked as the SimpleDoFnRunner checks them. */
    private void outputBuilt(WindowedValue<Object> output) {
      checkTimestamp(output.getTimestamp());
      outputs.output(mainOutput, output);
    }

    private void checkTimestamp(Instant timestamp) {
      Instant lowerBound;
      try {
        lowerBound = element.getTimestamp().minus(fn.getAllowedTimestampSkew());
      } catch (ArithmeticException e) {
        lowerBound = BoundedWindow.TIMESTAMP_MIN_VALUE;
      }
      if (timestamp.isBefore(lowerBound) || timestamp.isAfter(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        throw new IllegalArgumentException(
            String.format(
                "Cannot output with timestamp %s. Output timestamps must be no earlier than the timestamp of the "
                    + "current input or timer (%s) minus the allowed skew (%s) and no later than %s. See the "
                    + "DoFn#getAllowedTimestampSkew() Javadoc for details on changing the allowed skew.",
                timestamp, element.getTimestamp(), describe(fn.getAllowedTimestampSkew()), BoundedWindow.TIMESTAMP_MAX_VALUE));
      }
    }

    /** The skew as SimpleDoFnRunner words it ("1 second"), unless it is effectively infinite. */
    private static String describe(Duration skew) {
      return skew.getMillis() >= Integer.MAX_VALUE ? skew.toString() : PeriodFormat.getDefault().print(skew.toPeriod());
    }

    @Override
    public String getErrorContext() {
      return "DmergeRunner processing an element of " + fn.getClass().getName();
    }
  }
}
