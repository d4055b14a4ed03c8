package io.dmerge.runner.shuffle;

import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.segment.SegmentReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;

/**
 * Where a task's shuffle input is read: it rmaps the regions of every producer, and hands out the
 * records of one partition as views into the mapped pages, in write order or, when the producers
 * wrote sorted segments, merged in key order. Values are decoded from those views on
 * demand; nothing is copied into heap buffers first. The mappings live until {@link #close()}.
 */
public final class ShuffleReader implements AutoCloseable {
  private final List<MappedRegion> mapped = new ArrayList<>();
  private final List<SegmentReader> segments = new ArrayList<>();
  private boolean closed;

  public ShuffleReader(Dmerge dmerge, List<RegionRef> regions) {
    try {
      for (RegionRef ref : regions) {
        MappedRegion region = dmerge.rmap(ref.meta(), ref.key());
        mapped.add(region);
        segments.add(new SegmentReader(region));
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Receives one record: key bytes and value bytes, both views into a mapped region. */
  @FunctionalInterface
  public interface RecordVisitor {
    void visit(ByteBuffer key, ByteBuffer value) throws Exception;
  }

  /** Visits every record of {@code partition}, from all producers. */
  public void forEach(int partition, RecordVisitor visitor) throws Exception {
    for (SegmentReader segment : segments) {
      SegmentReader.RecordCursor cursor = segment.partition(partition);
      while (cursor.next()) {
        visitor.visit(cursor.key(), cursor.value());
      }
    }
  }

  /** Whether every producer wrote its region sorted, so that {@link #inKeyOrder} works. */
  public boolean sorted() {
    return segments.stream().allMatch(SegmentReader::sorted);
  }

  /**
   * The records of {@code partition} from all producers, merged in key order (see {@link
   * io.dmerge.shuffle.segment.KeyOrder}); only one record per producer is looked at at a time.
   */
  public KeyOrderMerge inKeyOrder(int partition) {
    List<SegmentReader.ReplayableCursor> cursors = new ArrayList<>(segments.size());
    for (SegmentReader segment : segments) {
      cursors.add(segment.partitionInKeyOrder(partition));
    }
    return new KeyOrderMerge(cursors, () -> !closed);
  }

  /** Decodes values with one coder, reusing one stream. */
  public static final class Decoder<T> {
    private final Coder<T> coder;
    private final ByteBufferInputStream in = new ByteBufferInputStream();

    public Decoder(Coder<T> coder) {
      this.coder = coder;
    }

    public T decode(ByteBuffer bytes) throws IOException {
      return coder.decode(in.reset(bytes.duplicate()));
    }
  }

  @Override
  public void close() {
    closed = true;
    mapped.forEach(MappedRegion::close);
    mapped.clear();
    segments.clear();
  }
}
