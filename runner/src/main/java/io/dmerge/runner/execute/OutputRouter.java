package io.dmerge.runner.execute;

import java.util.Map;
import org.apache.beam.sdk.util.UserCodeException;
import org.apache.beam.sdk.util.WindowedValueMultiReceiver;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;

/** Sends a DoFn's outputs, by tag, to the receivers fused behind it. */
final class OutputRouter implements WindowedValueMultiReceiver {
  private final TupleTag<?> mainTag;
  private final Receiver main;
  private final Map<TupleTag<?>, Receiver> receivers;

  /** Outputs to {@code mainTag} (nearly all of them) skip the map lookup when the DoFn passes the step's own tag object. */
  OutputRouter(TupleTag<?> mainTag, Map<TupleTag<?>, Receiver> receivers) {
    this.mainTag = mainTag;
    this.main = receivers.get(mainTag);
    this.receivers = receivers;
  }

  @Override
  public <T> void output(TupleTag<T> tag, WindowedValue<T> output) {
    Receiver r = tag == mainTag ? main : receivers.get(tag);
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
