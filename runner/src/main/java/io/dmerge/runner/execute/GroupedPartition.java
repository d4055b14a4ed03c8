package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.ShuffleReader;
import io.dmerge.shuffle.segment.SegmentReader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * The records of one partition from all producers, grouped by encoded key (equal bytes, equal
 * key). Sorted segments are merged in key order, so only the current key's elements are on the
 * heap; unsorted ones are indexed by key first, which costs heap per record (the keys and values
 * stay views into the mapped regions until a key's turn).
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
    if (reader.sorted()) {
      mergeByKey(reader.inKeyOrder(partition), keys, values, visitor);
    } else {
      hashByKey(reader, partition, keys, values, visitor);
    }
  }

  /** Equal keys are adjacent in key order: each run of them is one group. */
  private static void mergeByKey(
      SegmentReader.RecordCursor records,
      KeyBytes<Object> keys,
      ShuffleReader.Decoder<WindowedValue<Object>> values,
      KeyVisitor visitor)
      throws Exception {
    boolean more = records.next();
    while (more) {
      ByteBuffer key = records.key();
      List<WindowedValue<Object>> elements = new ArrayList<>();
      do {
        elements.add(values.decode(records.value()));
        more = records.next();
      } while (more && records.key().equals(key));
      visitor.visit(keys.decode(key), elements);
    }
  }

  private static void hashByKey(
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
