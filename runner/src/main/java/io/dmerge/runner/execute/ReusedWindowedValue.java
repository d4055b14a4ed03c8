package io.dmerge.runner.execute;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.CausedByDrain;
import org.apache.beam.sdk.values.WindowedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A DoFn's main output: a new value with its input's timestamp, windows, pane and metadata, in one
 * object the DoFn reuses for every output instead of allocating one per output (two per word in a
 * word count). It is valid only while the receivers fused behind the DoFn run, and none of them
 * keeps the element it is given: operators encode it, fold its value into an accumulator or build
 * new elements from it, and DoFns only see its parts. {@link #clear()} after each output keeps
 * the DoFn from pinning its last output.
 */
final class ReusedWindowedValue implements WindowedValue<Object> {
  private WindowedValue<?> shape;
  private Object value;

  /** {@code value} in the shape of {@code input}. */
  WindowedValue<Object> of(WindowedValue<?> input, Object value) {
    // An input that is itself a reused output lends its shape: lookups stay one call deep however many DoFns are fused.
    this.shape = input instanceof ReusedWindowedValue reused ? reused.shape : input;
    this.value = value;
    return this;
  }

  void clear() {
    shape = null;
    value = null;
  }

  @Override
  public Object getValue() {
    return value;
  }

  @Override
  public Instant getTimestamp() {
    return shape.getTimestamp();
  }

  @Override
  public Collection<? extends BoundedWindow> getWindows() {
    return shape.getWindows();
  }

  @Override
  public PaneInfo getPaneInfo() {
    return shape.getPaneInfo();
  }

  @Override
  public @Nullable String getRecordId() {
    return shape.getRecordId();
  }

  @Override
  public @Nullable Long getRecordOffset() {
    return shape.getRecordOffset();
  }

  @Override
  public CausedByDrain causedByDrain() {
    return shape.causedByDrain();
  }

  @Override
  public Iterable<? extends WindowedValue<Object>> explodeWindows() {
    List<WindowedValue<Object>> out = new ArrayList<>();
    for (WindowedValue<?> inWindow : shape.explodeWindows()) {
      out.add(inWindow.withValue(value));
    }
    return out;
  }

  @Override
  public <OtherT> WindowedValue<OtherT> withValue(OtherT newValue) {
    return shape.withValue(newValue);
  }

  /** A standalone copy, for anything that compares or prints elements. */
  private WindowedValue<Object> copy() {
    return shape.withValue(value);
  }

  @Override
  public boolean equals(Object o) {
    return copy().equals(o instanceof ReusedWindowedValue reused ? reused.copy() : o);
  }

  @Override
  public int hashCode() {
    return copy().hashCode();
  }

  @Override
  public String toString() {
    return copy().toString();
  }
}
