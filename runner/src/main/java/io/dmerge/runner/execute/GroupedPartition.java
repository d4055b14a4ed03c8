package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.ShuffleReader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The records of one partition from all producers, grouped by encoded key. Keys and values stay
 * views into the mapped regions; only the index is on the heap.
 */
final class GroupedPartition {
  private final Map<ByteBuffer, List<ByteBuffer>> groups = new LinkedHashMap<>();

  GroupedPartition(ShuffleReader reader, int partition) throws Exception {
    reader.forEach(partition, (key, value) -> groups.computeIfAbsent(key, k -> new ArrayList<>()).add(value));
  }

  Map<ByteBuffer, List<ByteBuffer>> groups() {
    return groups;
  }
}
