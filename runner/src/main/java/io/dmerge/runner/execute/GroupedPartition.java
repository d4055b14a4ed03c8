package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.ShuffleReader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * The records of one partition from all producers, merged by encoded key. Until a key's turn the
 * keys and values stay views into the mapped regions; only the index is on the heap.
 */
final class GroupedPartition {
  private GroupedPartition() {}

  /** Receives one key with all its elements, decoded. */
  interface KeyVisitor {
    void visit(Object key, List<WindowedValue<Object>> elements) throws Exception;
  }

  static void forEachKey(
      ShuffleReader reader,
      int partition,
      KeyBytes<Object> keys,
      ShuffleReader.Decoder<WindowedValue<Object>> values,
      KeyVisitor visitor)
      throws Exception {
    Map<ByteBuffer, List<ByteBuffer>> groups = new LinkedHashMap<>();
    reader.forEach(partition, (key, value) -> groups.computeIfAbsent(key, k -> new ArrayList<>()).add(value));
    for (Map.Entry<ByteBuffer, List<ByteBuffer>> group : groups.entrySet()) {
      List<WindowedValue<Object>> elements = new ArrayList<>(group.getValue().size());
      for (ByteBuffer v : group.getValue()) {
        elements.add(values.decode(v));
      }
      visitor.visit(keys.decode(group.getKey()), elements);
    }
  }
}
