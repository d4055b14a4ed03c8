package io.dmerge.runner.execute;

import java.util.Map;
import org.apache.beam.sdk.util.UserCodeException;
import org.apache.beam.sdk.util.WindowedValueMultiReceiver;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;

/** Sends a DoFn's outputs, by tag, to the receivers fused behind it. */
final class OutputRouter implements WindowedValueMultiReceiver {
  private final Map<TupleTag<?>, Receiver> receivers;

  OutputRouter(Map<TupleTag<?>, Receiver> receivers) {
    this.receivers = receivers;
  }

  @Override
  public <T> void output(TupleTag<T> tag, WindowedValue<T> output) {
    Receiver r = receivers.get(tag);
    if (r == null) {
      throw new IllegalArgumentException("output to undeclared tag " + tag);
    }
    try {
      r.accept(output);
    } catch (Exception e) {
      throw UserCodeException.wrap(e);
    }
  }
}
