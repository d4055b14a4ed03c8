package io.dmerge.runner.execute;

import java.util.List;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;

/**
 * Loads each of Beam's WindowedValue classes before a task sees its first element. The JIT
 * compiles a stage's hot loop assuming the WindowedValue classes loaded so far are all there are;
 * one loaded mid-stage (the first combiner flush creates the first TimestampedValueInGlobalWindow)
 * throws the still-running tasks' compiled loops away, back to the interpreter. Seen in word
 * count's first stage as a burst of deoptimizations, gone with this.
 */
final class WindowedValueClasses {
  private WindowedValueClasses() {}

  static void load() {
    Instant t = new Instant(0);
    IntervalWindow w = new IntervalWindow(t, t.plus(1));
    WindowedValues.valueInGlobalWindow(0);
    WindowedValues.timestampedValueInGlobalWindow(0, t);
    WindowedValues.of(0, t, w, PaneInfo.NO_FIRING);
    WindowedValues.of(0, t, List.of(w, GlobalWindow.INSTANCE), PaneInfo.NO_FIRING);
  }
}
