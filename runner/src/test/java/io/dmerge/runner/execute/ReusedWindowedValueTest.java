package io.dmerge.runner.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class ReusedWindowedValueTest {
  private static final IntervalWindow A = new IntervalWindow(new Instant(0), new Instant(10));
  private static final IntervalWindow B = new IntervalWindow(new Instant(5), new Instant(15));
  private static final WindowedValue<Object> INPUT =
      WindowedValues.of("in", new Instant(7), List.of(A, B), PaneInfo.ON_TIME_AND_ONLY_FIRING);

  @Test
  void anOutputHasItsInputsTimestampWindowsPaneAndMetadata() {
    WindowedValue<Object> out = new ReusedWindowedValue().of(INPUT, "out");
    assertEquals("out", out.getValue());
    assertEquals(INPUT.getTimestamp(), out.getTimestamp());
    assertEquals(List.copyOf(INPUT.getWindows()), List.copyOf(out.getWindows()));
    assertEquals(INPUT.getPaneInfo(), out.getPaneInfo());
    assertEquals(INPUT.causedByDrain(), out.causedByDrain());
    assertEquals(INPUT.withValue("out"), out);
    assertEquals(INPUT.withValue("out").hashCode(), out.hashCode());
    assertEquals(INPUT.withValue("out").toString(), out.toString());
  }

  @Test
  void explodingOrRevaluingAnOutputGivesStandaloneElements() {
    ReusedWindowedValue reused = new ReusedWindowedValue();
    WindowedValue<Object> out = reused.of(INPUT, "out");
    List<WindowedValue<Object>> perWindow = new ArrayList<>();
    out.explodeWindows().forEach(perWindow::add);
    WindowedValue<String> other = out.withValue("other");
    reused.clear();
    assertEquals(List.of(WindowedValues.of("out", new Instant(7), A, PaneInfo.ON_TIME_AND_ONLY_FIRING),
        WindowedValues.of("out", new Instant(7), B, PaneInfo.ON_TIME_AND_ONLY_FIRING)), perWindow);
    assertEquals(INPUT.withValue("other"), other);
  }

  @Test
  void anOutputOfAnOutputTakesTheOriginalShapeAndOutlivesItsInputsNextUse() {
    ReusedWindowedValue first = new ReusedWindowedValue();
    ReusedWindowedValue second = new ReusedWindowedValue();
    WindowedValue<Object> out = second.of(first.of(INPUT, "mid"), "last");
    first.of(WindowedValues.valueInGlobalWindow("elsewhere"), "changed");
    assertEquals(INPUT.withValue("last"), out);
  }

  @Test
  void clearingDropsTheLastOutput() {
    ReusedWindowedValue reused = new ReusedWindowedValue();
    reused.of(INPUT, "out");
    reused.clear();
    assertNull(reused.getValue());
  }
}
