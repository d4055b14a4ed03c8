package io.dmerge.runner.execute;

import java.util.List;
import org.apache.beam.sdk.values.WindowedValue;

/** Takes the elements of one PCollection inside a task, as objects: fused steps never encode. */
@FunctionalInterface
public interface Receiver {
  void accept(WindowedValue<?> element) throws Exception;

  Receiver DISCARD = element -> {};

  /** One receiver that feeds all of {@code receivers}. */
  static Receiver fanOut(List<Receiver> receivers) {
    switch (receivers.size()) {
      case 0:
        return DISCARD;
      case 1:
        return receivers.get(0);
      default:
        Receiver[] all = receivers.toArray(new Receiver[0]);
        return element -> {
          for (Receiver r : all) {
            r.accept(element);
          }
        };
    }
  }
}
