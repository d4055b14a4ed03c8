package io.dmerge.runner.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.CausedByDrain;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class AssignWindowsOperatorTest {
  @Test
  void onlyTheWindowsChange() throws Exception {
    List<WindowedValue<?>> out = new ArrayList<>();
    AssignWindowsOperator assign = new AssignWindowsOperator(FixedWindows.of(Duration.millis(10)), out::add);
    WindowedValue<String> in =
        WindowedValues.of(
            "x", new Instant(13), List.of(GlobalWindow.INSTANCE), PaneInfo.NO_FIRING, "record-1", 7L,
            CausedByDrain.CAUSED_BY_DRAIN);
    assign.accept(in);
    WindowedValue<?> got = out.get(0);
    assertEquals(List.of(new IntervalWindow(new Instant(10), new Instant(20))), List.copyOf(got.getWindows()));
    assertEquals("x", got.getValue());
    assertEquals(new Instant(13), got.getTimestamp());
    assertEquals(PaneInfo.NO_FIRING, got.getPaneInfo());
    assertEquals("record-1", got.getRecordId());
    assertEquals(7L, got.getRecordOffset());
    assertEquals(CausedByDrain.CAUSED_BY_DRAIN, got.causedByDrain());
  }
}
