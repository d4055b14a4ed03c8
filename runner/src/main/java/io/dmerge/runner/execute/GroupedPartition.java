package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.KeyOrderMerge;
import io.dmerge.runner.shuffle.ShuffleReader;
import io.dmerge.shuffle.segment.SegmentReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * The records of one partition from all producers, grouped by encoded key (equal bytes, equal
 * key). Sorted segments are merged in key order, and a key's elements are handed out as a view
 * that decodes them from the mapped regions on each iteration, so no key's elements are held on
 * the heap, however many it has; unsorted segments are indexed by key first, which costs heap per
 * record (the keys and values stay views into the mapped regions until a key's turn).
 */
final class GroupedPartition {
  private GroupedPartition() {}

  /**
   * Receives one key with all its elements: an iterable that may be iterated more than once, valid
   * while the task's shuffle input is mapped.
   */
  interface KeyVisitor {
    void visit(Object key, Iterable<WindowedValue<Object>> elements) throws Exception;
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
      KeyOrderMerge records,
      KeyBytes<Object> keys,
      ShuffleReader.Decoder<WindowedValue<Object>> values,
      KeyVisitor visitor)
      throws Exception {
    boolean more = records.next();
    while (more) {
      ByteBuffer key = records.key();
      KeyElements elements = new KeyElements(records, values);
      do {
        elements.add(records.producer(), records.entry());
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

  /**
   * One key's elements as stretches of its producers' key orders (one per producer: the merge
   * hands out a key's records producer by producer), decoded anew on every iteration.
   */
  private static final class KeyElements implements Iterable<WindowedValue<Object>> {
    private final KeyOrderMerge records;
    private final ShuffleReader.Decoder<WindowedValue<Object>> values;
    /** Per stretch: producer, first entry, entry after the last. */
    private int[] stretches = new int[3];
    private int count;

    KeyElements(KeyOrderMerge records, ShuffleReader.Decoder<WindowedValue<Object>> values) {
      this.records = records;
      this.values = values;
    }

    void add(int producer, int entry) {
      if (count > 0 && stretches[3 * count - 3] == producer && stretches[3 * count - 1] == entry) {
        stretches[3 * count - 1]++;
        return;
      }
      if (3 * count == stretches.length) {
        stretches = Arrays.copyOf(stretches, 2 * stretches.length);
      }
      stretches[3 * count] = producer;
      stretches[3 * count + 1] = entry;
      stretches[3 * count + 2] = entry + 1;
      count++;
    }

    @Override
    public Iterator<WindowedValue<Object>> iterator() {
      return new Iterator<>() {
        private int stretch = -1;
        private SegmentReader.RecordCursor cursor;
        private boolean ready;

        @Override
        public boolean hasNext() {
          while (!ready) {
            if (cursor != null && cursor.next()) {
              ready = true;
            } else if (++stretch < count) {
              cursor = records.replay(stretches[3 * stretch], stretches[3 * stretch + 1], stretches[3 * stretch + 2]);
            } else {
              return false;
            }
          }
          return true;
        }

        @Override
        public WindowedValue<Object> next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          ready = false;
          try {
            return values.decode(cursor.value());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };
    }
  }
}
