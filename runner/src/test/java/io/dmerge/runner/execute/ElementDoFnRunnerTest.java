package io.dmerge.runner.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.UserCodeException;
import org.apache.beam.sdk.util.WindowedValueMultiReceiver;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class ElementDoFnRunnerTest {
  private static final TupleTag<Object> MAIN = new TupleTag<>("main");
  private static final IntervalWindow WINDOW = new IntervalWindow(new Instant(0), new Instant(1000));
  private static final WindowedValue<Object> ELEMENT =
      WindowedValues.of("a b", new Instant(500), WINDOW, PaneInfo.ON_TIME_AND_ONLY_FIRING);

  private final PipelineOptions options = PipelineOptionsFactory.create();
  private final List<WindowedValue<?>> out = new ArrayList<>();
  private final WindowedValueMultiReceiver outputs =
      new WindowedValueMultiReceiver() {
        @Override
        public <T> void output(TupleTag<T> tag, WindowedValue<T> output) {
          assertEquals(MAIN, tag);
          // An output is valid only during this call, as for the operators behind a DoFn: keep a copy.
          out.add(WindowedValues.builder(output).build());
        }
      };

  static class Split extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String line, OutputReceiver<String> words) {
      for (String w : line.split(" ")) {
        words.output(w);
      }
    }

    @FinishBundle
    public void finish(FinishBundleContext c) {
      c.output("end", new Instant(999), WINDOW);
    }
  }

  static class Shift extends DoFn<String, String> {
    private final Duration by;

    Shift(Duration by) {
      this.by = by;
    }

    @ProcessElement
    public void process(@Element String s, @Timestamp Instant ts, OutputReceiver<String> r) {
      r.outputWithTimestamp(s, ts.plus(by));
    }
  }

  static class ShiftWithinSkew extends Shift {
    private final Duration skew;

    ShiftWithinSkew(Duration by, Duration skew) {
      super(by);
      this.skew = skew;
    }

    @Override
    public Duration getAllowedTimestampSkew() {
      return skew;
    }
  }

  static class Fails extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String s) {
      throw new IllegalStateException("boom on " + s);
    }
  }

  static class WithWindow extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String s, BoundedWindow w, OutputReceiver<String> r) {
      r.output(s);
    }
  }

  static class WithContext extends DoFn<String, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element());
    }
  }

  static class WithState extends DoFn<KV<String, String>, String> {
    @StateId("s")
    private final StateSpec<ValueState<String>> spec = StateSpecs.value();

    @ProcessElement
    public void process(@Element KV<String, String> e, @StateId("s") ValueState<String> s) {}
  }

  @Test
  void onlyDoFnsThatTakeNoMoreThanTheElementAreEligible() {
    assertTrue(ElementDoFnRunner.eligible(DoFnSignatures.getSignature(Split.class)));
    assertTrue(ElementDoFnRunner.eligible(DoFnSignatures.getSignature(Shift.class)));
    assertFalse(ElementDoFnRunner.eligible(DoFnSignatures.getSignature(WithWindow.class)));
    assertFalse(ElementDoFnRunner.eligible(DoFnSignatures.getSignature(WithContext.class)));
    assertFalse(ElementDoFnRunner.eligible(DoFnSignatures.getSignature(WithState.class)));
  }

  @Test
  void aDoFnWithSideInputsKeepsTheSimpleRunner() {
    DoFnRunner<Object, Object> simple = simple(new Split());
    assertSame(simple, ElementDoFnRunner.wrapIfEligible(simple, true, options, outputs, MAIN));
    assertInstanceOf(ElementDoFnRunner.class, ElementDoFnRunner.wrapIfEligible(simple, false, options, outputs, MAIN));
  }

  @Test
  void outputsKeepTheInputsTimestampWindowsAndPaneAndBundleMethodsStillRun() {
    DoFnRunner<Object, Object> runner = lean(new Split());
    runner.startBundle();
    runner.processElement(ELEMENT);
    runner.finishBundle();
    assertEquals(3, out.size());
    for (WindowedValue<?> w : out.subList(0, 2)) {
      assertEquals(ELEMENT.getTimestamp(), w.getTimestamp());
      assertEquals(List.of(WINDOW), List.copyOf(w.getWindows()));
      assertEquals(ELEMENT.getPaneInfo(), w.getPaneInfo());
    }
    assertEquals(List.of("a", "b", "end"), out.stream().map(WindowedValue::getValue).toList());
    assertEquals(new Instant(999), out.get(2).getTimestamp());
  }

  @Test
  void outputWithTimestampIsCheckedAgainstTheAllowedSkew() {
    lean(new Shift(Duration.millis(100))).processElement(ELEMENT);
    assertEquals(new Instant(600), out.get(0).getTimestamp());
    assertEquals(List.of(WINDOW), List.copyOf(out.get(0).getWindows()));

    UserCodeException e =
        assertThrows(UserCodeException.class, () -> lean(new Shift(Duration.millis(-1))).processElement(ELEMENT));
    assertInstanceOf(IllegalArgumentException.class, e.getCause());
    assertTrue(e.getCause().getMessage().startsWith("Cannot output with timestamp"), e.getCause().getMessage());
  }

  @Test
  void aTimestampBeyondTheSkewIsReportedInTheSimpleRunnersWords() {
    for (Duration skew : List.of(Duration.ZERO, Duration.standardSeconds(1))) {
      DoFn<String, String> fn = new ShiftWithinSkew(skew.plus(1).negated(), skew);
      String simple = assertThrows(UserCodeException.class, () -> simple(fn).processElement(ELEMENT)).getCause().getMessage();
      String lean = assertThrows(UserCodeException.class, () -> lean(fn).processElement(ELEMENT)).getCause().getMessage();
      assertEquals(simple, lean);
    }
    assertTrue(
        assertThrows(UserCodeException.class, () -> lean(new ShiftWithinSkew(Duration.standardSeconds(-2), Duration.standardSeconds(1))).processElement(ELEMENT))
            .getCause()
            .getMessage()
            .contains("minus the allowed skew (1 second)"));
  }

  @Test
  void userExceptionsAreWrapped() {
    UserCodeException e = assertThrows(UserCodeException.class, () -> lean(new Fails()).processElement(ELEMENT));
    assertEquals("boom on a b", e.getCause().getMessage());
  }

  private DoFnRunner<Object, Object> lean(DoFn<String, String> fn) {
    DoFnRunner<Object, Object> runner = ElementDoFnRunner.wrapIfEligible(simple(fn), false, options, outputs, MAIN);
    assertInstanceOf(ElementDoFnRunner.class, runner);
    return runner;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private DoFnRunner<Object, Object> simple(DoFn<String, String> fn) {
    Coder<String> coder = StringUtf8Coder.of();
    return DoFnRunners.simpleRunner(
        options,
        (DoFn) fn,
        NullSideInputReader.empty(),
        outputs,
        MAIN,
        List.of(),
        TaskStepContext.stateless((deadline, callback) -> {}),
        (Coder) coder,
        Map.of(MAIN, coder),
        WindowingStrategy.globalDefault(),
        DoFnSchemaInformation.create(),
        Map.of());
  }
}
