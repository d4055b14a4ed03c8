package io.dmerge.runner.shuffle;

import io.dmerge.shuffle.segment.KeyOrder;
import io.dmerge.shuffle.segment.SegmentReader.RecordCursor;
import io.dmerge.shuffle.segment.SegmentReader.ReplayableCursor;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/**
 * One partition's records from every producer in key order: a k-way merge over one key-order
 * cursor per producer, holding only one head per producer. Equal keys come in producer order and
 * then write order, the order in which the unsorted path visits them. A stretch of one producer's
 * records can be read again ({@link #replay}), so a key's values need not be held to be re-read.
 */
public final class KeyOrderMerge implements RecordCursor {
  private record Head(int producer, ReplayableCursor cursor) {}

  private static final Comparator<Head> ORDER =
      Comparator.<Head, ByteBuffer>comparing(h -> h.cursor().key(), KeyOrder::compare).thenComparingInt(Head::producer);

  private final List<ReplayableCursor> cursors;
  /** Whether the regions are still mapped: a replay after they were released would read freed pages. */
  private final BooleanSupplier mapped;
  private final PriorityQueue<Head> heads;
  private Head current;

  /** {@code cursors}: one per producer, in producer order, each in key order. */
  KeyOrderMerge(List<ReplayableCursor> cursors, BooleanSupplier mapped) {
    this.cursors = cursors;
    this.mapped = mapped;
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

  /** The producer of the current record. */
  public int producer() {
    return current.producer();
  }

  /** The current record's entry in its producer's key order. */
  public int entry() {
    return current.cursor().entry();
  }

  /** A new cursor over the entries [from, to) of one producer's key order. */
  public RecordCursor replay(int producer, int from, int to) {
    if (!mapped.getAsBoolean()) {
      throw new IllegalStateException(
          "records of a shuffle were read again after the task that read it ended (a DoFn kept a GroupByKey's values beyond its bundle)");
    }
    return cursors.get(producer).replay(from, to);
  }
}
