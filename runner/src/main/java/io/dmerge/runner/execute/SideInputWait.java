package io.dmerge.runner.execute;

import io.dmerge.runner.plan.Planner;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.Trigger;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.joda.time.Instant;

/**
 * Streaming, a main-input element may only meet a side input's window once that window is ready:
 * once a trigger has fired a pane into it (the view's input is a grouping's output), or the view's
 * watermark has passed the point where the view's trigger is sure to have fired for it (the
 * window's end, for the default trigger), or the view is complete. Until then the element waits, from round to round, holding the output
 * watermark at its timestamp.
 */
final class SideInputWait {
  private final List<PCollectionView<?>> views;
  private final SideInputs contents;
  private final Map<String, Instant> watermarks;
  private final List<WindowedValue<Object>> waiting;

  /** @param watermarks by view id, the watermark of each view in this round */
  SideInputWait(
      List<PCollectionView<?>> views, SideInputs contents, Map<String, Instant> watermarks, List<WindowedValue<Object>> waiting) {
    this.views = views;
    this.contents = contents;
    this.watermarks = watermarks;
    this.waiting = waiting;
  }

  /** Waits for nothing: every element passes straight on. */
  static SideInputWait none() {
    return new SideInputWait(List.of(), null, Map.of(), new ArrayList<>());
  }

  /** Passes on the elements of earlier rounds whose side inputs are now ready. */
  void release(Receiver output) throws Exception {
    for (Iterator<WindowedValue<Object>> it = waiting.iterator(); it.hasNext(); ) {
      WindowedValue<Object> element = it.next();
      if (ready(element)) {
        it.remove();
        output.accept(element);
      }
    }
  }

  /** Passes the element on, or keeps it until its side inputs are ready. */
  void offer(WindowedValue<Object> element, Receiver output) throws Exception {
    if (ready(element)) {
      output.accept(element);
    } else {
      waiting.add(element);
    }
  }

  /** The earliest timestamp of a waiting element, or the end of time. */
  Instant earliestHold() {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (WindowedValue<Object> element : waiting) {
      earliest = element.getTimestamp().isBefore(earliest) ? element.getTimestamp() : earliest;
    }
    return earliest;
  }

  private boolean ready(WindowedValue<Object> element) {
    for (BoundedWindow window : element.getWindows()) {
      for (PCollectionView<?> view : views) {
        if (!ready(view, view.getWindowMappingFn().getSideInputWindow(window))) {
          return false;
        }
      }
    }
    return true;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private boolean ready(PCollectionView<?> view, BoundedWindow window) {
    if (contents.hasFiredPane(view, window)) {
      return true;
    }
    Instant watermark = watermarks.getOrDefault(Planner.viewId(view), BoundedWindow.TIMESTAMP_MIN_VALUE);
    Instant firesBy = ((Trigger) view.getWindowingStrategyInternal().getTrigger()).getWatermarkThatGuaranteesFiring(window);
    return watermark.isAfter(firesBy) || !watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE);
  }
}
