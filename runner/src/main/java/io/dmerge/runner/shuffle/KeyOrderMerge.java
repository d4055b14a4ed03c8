package io.dmerge.runner.shuffle;

import io.dmerge.shuffle.segment.KeyOrder;
import io.dmerge.shuffle.segment.SegmentReader.RecordCursor;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * One partition's records from every producer in key order: a k-way merge over one key-order
 * cursor per producer, holding only one head per producer. Equal keys come in producer order and
 * then write order, the order in which the unsorted path visits them.
 */
final class KeyOrderMerge implements RecordCursor {
  private record Head(int producer, RecordCursor cursor) {}

  private static final Comparator<Head> ORDER =
      Comparator.<Head, ByteBuffer>comparing(h -> h.cursor().key(), KeyOrder::compare).thenComparingInt(Head::producer);

  private final PriorityQueue<Head> heads;
  private Head current;

  /** {@code cursors}: one per producer, in producer order, each in key order. */
  KeyOrderMerge(List<RecordCursor> cursors) {
    heads = new PriorityQueue<>(Math.max(1, cursors.size()), ORDER);
    for (int i = 0; i < cursors.size(); i++) {
      if (cursors.get(i).next()) {
        heads.add(new Head(i, cursors.get(i)));
      }
    }
  }

  @Override
  public boolean next() {
    // The current head advances only now, once the caller is done with its record.
    if (current != null && current.cursor().next()) {
      heads.add(current);
    }
    current = heads.poll();
    return current != null;
  }

  @Override
  public ByteBuffer key() {
    return current.cursor().key();
  }

  @Override
  public ByteBuffer value() {
    return current.cursor().value();
  }
}
