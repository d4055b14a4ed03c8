package io.dmerge.runner.translate;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.testing.TestStream;

/** Encodes a TestStream's events into a {@link Step.TestStreamRead} and decodes them back. */
public final class StreamEvents {
  private StreamEvents() {}

  @SuppressWarnings({"unchecked", "rawtypes"})
  static byte[] encode(TestStream<?> stream) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      TestStream.TestStreamCoder.of((Coder) stream.getValueCoder()).encode(stream, out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode the events of a TestStream with " + stream.getValueCoder(), e);
    }
    return out.toByteArray();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static List<TestStream.Event<Object>> decode(Step.TestStreamRead step) {
    try {
      TestStream<Object> stream =
          (TestStream<Object>) TestStream.TestStreamCoder.of((Coder) step.valueCoder()).decode(new ByteArrayInputStream(step.events()));
      return stream.getEvents();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode the events of " + step.name(), e);
    }
  }
}
