package io.dmerge.shuffle.segment;

import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.RegionBuffer;
import io.dmerge.shuffle.RegionMeta;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Segments in plain files, written and mapped without a Dmerge registry: the format alone. Records
 * print as "key=value" in hex so that a mismatch shows which record and where.
 */
final class SegmentFiles {
  record Rec(int partition, byte[] key, byte[] value) {
    @Override
    public String toString() {
      return HexFormat.of().formatHex(key) + "=" + HexFormat.of().formatHex(value);
    }
  }

  private SegmentFiles() {}

  /** Writes {@code records} into a new region file, each key and value in pieces as a coder would. */
  static void write(Path file, int partitions, int blockBytes, boolean sorted, List<Rec> records) {
    try (RegionBuffer buffer = new RegionBuffer(file.getFileName().toString(), file)) {
      SegmentWriter writer = new SegmentWriter(buffer, partitions, blockBytes, sorted);
      for (Rec rec : records) {
        writer.startRecord(rec.partition());
        writeInPieces(writer, rec.key());
        writer.endKey();
        writeInPieces(writer, rec.value());
        writer.endRecord();
      }
      writer.finish();
      buffer.seal();
    }
  }

  private static void writeInPieces(SegmentWriter writer, byte[] bytes) {
    int piece = Math.max(1, bytes.length / 3);
    try {
      for (int off = 0; off < bytes.length; off += piece) {
        writer.stream().write(bytes, off, Math.min(piece, bytes.length - off));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static MappedRegion map(Path file) {
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
      return new MappedRegion(new RegionMeta("test-node", file.getFileName().toString(), Files.size(file)), channel);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What a cursor yields, as strings. */
  static List<String> drain(SegmentReader.RecordCursor cursor) {
    List<String> out = new ArrayList<>();
    while (cursor.next()) {
      out.add(new Rec(0, bytes(cursor.key()), bytes(cursor.value())).toString());
    }
    return out;
  }

  static byte[] bytes(ByteBuffer view) {
    byte[] b = new byte[view.remaining()];
    view.duplicate().get(b);
    return b;
  }

  /** The records of {@code partition} in write order, or stably sorted by unsigned key bytes. */
  static List<String> expected(List<Rec> records, int partition, boolean inKeyOrder) {
    List<Rec> in = new ArrayList<>(records.stream().filter(r -> r.partition() == partition).toList());
    if (inKeyOrder) {
      in.sort((a, b) -> Arrays.compareUnsigned(a.key(), b.key())); // List.sort is stable
    }
    return in.stream().map(Rec::toString).toList();
  }

  /**
   * Deterministic records for sorted segments: keys repeat and are prefixes of one another (the
   * empty key too), use bytes above 0x7f (which a signed comparison would misorder), and now and
   * then a key or a value is larger than a block so that records move. Each value starts with the
   * record's write index, so stability shows. Partitions divisible by 5 stay empty.
   */
  static List<Rec> generate(long seed, int count, int partitions, int blockBytes) {
    byte[] base = {0x6b, (byte) 0xff, (byte) 0x80, 0x00, 0x7f, 0x01};
    byte[] lastBytes = {0x00, 0x7f, (byte) 0x80, (byte) 0xff};
    SplittableRandom r = new SplittableRandom(seed);
    List<Rec> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int partition = r.nextInt(partitions);
      if (partition % 5 == 0) {
        partition = (partition + 1) % partitions;
      }
      byte[] key = Arrays.copyOf(base, r.nextInt(base.length + 1));
      if (r.nextBoolean()) {
        key = Arrays.copyOf(key, key.length + 1);
        key[key.length - 1] = lastBytes[r.nextInt(lastBytes.length)];
      }
      if (i % 211 == 7) {
        key = Arrays.copyOf(base, blockBytes + r.nextInt(blockBytes)); // larger than a block
      }
      int valueLength = i % 101 == 50 ? blockBytes + r.nextInt(3 * blockBytes) : r.nextInt(40);
      byte[] value = new byte[4 + valueLength];
      ByteBuffer.wrap(value).putInt(i);
      for (int j = 4; j < value.length; j++) {
        value[j] = (byte) r.nextInt();
      }
      out.add(new Rec(partition, key, value));
    }
    return out;
  }
}
