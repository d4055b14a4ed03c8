package io.dmerge.runner.execute;

import io.dmerge.runner.translate.StreamEvents;
import io.dmerge.runner.translate.Step;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.WindowedValues;

/** Emits the elements of one TestStream event, with their timestamps, into the global window. */
final class TestStreamRoot implements Root {
  private final Step.TestStreamRead step;
  private final int event;
  private final Receiver output;

  TestStreamRoot(Step.TestStreamRead step, int event, Receiver output) {
    this.step = step;
    this.event = event;
    this.output = output;
  }

  @Override
  public void run() throws Exception {
    TestStream.Event<Object> e = StreamEvents.decode(step).get(event);
    if (!(e instanceof TestStream.ElementEvent)) {
      throw new IllegalStateException("event " + event + " of " + step.name() + " has no elements: " + e);
    }
    for (TimestampedValue<Object> element : ((TestStream.ElementEvent<Object>) e).getElements()) {
      output.accept(WindowedValues.timestampedValueInGlobalWindow(element.getValue(), element.getTimestamp()));
    }
  }
}
