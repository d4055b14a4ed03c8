package io.dmerge.runner.execute;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;

/** Window.Assign: reassigns each element's windows with the new WindowFn. */
final class AssignWindowsOperator implements Operator {
  private final WindowFn<Object, BoundedWindow> windowFn;
  private final Receiver output;

  @SuppressWarnings("unchecked")
  AssignWindowsOperator(WindowFn<?, ?> windowFn, Receiver output) {
    this.windowFn = (WindowFn<Object, BoundedWindow>) windowFn;
    this.output = output;
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    List<BoundedWindow> windows = new ArrayList<>();
    for (BoundedWindow old : element.getWindows()) {
      windows.addAll(assign(element, old));
    }
    // Only the windows change: record id, offset and drain metadata travel on, as through a ParDo.
    output.accept(
        WindowedValues.of(
            element.getValue(), element.getTimestamp(), windows, element.getPaneInfo(), element.getRecordId(),
            element.getRecordOffset(), element.causedByDrain()));
  }

  private Collection<BoundedWindow> assign(WindowedValue<?> element, BoundedWindow old) throws Exception {
    return windowFn.assignWindows(
        windowFn.new AssignContext() {
          @Override
          public Object element() {
            return element.getValue();
          }

          @Override
          public Instant timestamp() {
            return element.getTimestamp();
          }

          @Override
          public BoundedWindow window() {
            return old;
          }
        });
  }
}
