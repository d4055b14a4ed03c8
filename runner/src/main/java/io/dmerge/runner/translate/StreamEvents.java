package io.dmerge.runner.translate;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.testing.TestStream;

/** Encodes a TestStream's events into a {@link Step.TestStreamRead} and decodes them back. */
public final class StreamEvents {
  // Weak keys: a finished job's steps and their events go with it. A record's equality compares
  // its byte[] by reference, so each step object is its own key.
  private static final Map<Step.TestStreamRead, List<TestStream.Event<Object>>> DECODED =
      Collections.synchronizedMap(new WeakHashMap<>());

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

  /**
   * The step's events, decoded once per step object: every round's task replays one of them, and
   * the step (part of the stage a worker keeps) outlives the rounds.
   */
  public static List<TestStream.Event<Object>> decode(Step.TestStreamRead step) {
    return DECODED.computeIfAbsent(step, StreamEvents::decodeAll);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static List<TestStream.Event<Object>> decodeAll(Step.TestStreamRead step) {
    try {
      TestStream<Object> stream =
          (TestStream<Object>) TestStream.TestStreamCoder.of((Coder) step.valueCoder()).decode(new ByteArrayInputStream(step.events()));
      return stream.getEvents();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode the events of " + step.name(), e);
    }
  }
}
