package io.dmerge.runner.execute;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * A key's in-memory state that also answers how far it holds the output watermark back: the
 * earliest of the watermark holds it handed out (ReduceFnRunner holds a pane's output time there).
 */
final class HoldTrackingStateInternals<K> extends InMemoryStateInternals<K> {
  private final Set<WatermarkHoldState> holds = Collections.newSetFromMap(new IdentityHashMap<>());

  HoldTrackingStateInternals(K key) {
    super(key);
  }

  @Override
  public <T extends State> T state(StateNamespace namespace, StateTag<T> address, StateContext<?> c) {
    T state = super.state(namespace, address, c);
    if (state instanceof WatermarkHoldState) {
      holds.add((WatermarkHoldState) state);
    }
    return state;
  }

  /** The earliest hold still set, or the end of time. Cleared holds are forgotten. */
  Instant earliestHold() {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (var it = holds.iterator(); it.hasNext(); ) {
      Instant hold = it.next().read();
      if (hold == null) {
        it.remove();
      } else if (hold.isBefore(earliest)) {
        earliest = hold;
      }
    }
    return earliest;
  }
}
