package io.dmerge.shuffle;

import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A deterministic set of shuffle records: the same (seed, count, partitions) gives the same records
 * in every JVM, so a producer and a consumer in different processes agree on the expected content.
 */
public final class Records {
  public record Rec(int partition, byte[] key, byte[] value) {}

  final long seed;
  final int count;
  final int partitions;
  final int blockBytes;

  Records(long seed, int count, int partitions, int blockBytes) {
    this.seed = seed;
    this.count = count;
    this.partitions = partitions;
    this.blockBytes = blockBytes;
  }

  /**
   * Record sizes: mostly tiny (incl. empty keys and values), some a few KiB, and every 101st
   * record larger than a block, as a key or as a value, so that records move to bigger blocks.
   */
  List<Rec> generate() {
    SplittableRandom r = new SplittableRandom(seed);
    List<Rec> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int partition = r.nextInt(partitions);
      byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
      int valueLength;
      if (i % 101 == 50) {
        valueLength = blockBytes + r.nextInt(3 * blockBytes);
      } else if (i % 13 == 0) {
        valueLength = r.nextInt(8192);
      } else if (i % 17 == 0) {
        valueLength = 0;
      } else {
        valueLength = r.nextInt(200);
      }
      if (i % 211 == 7) {
        key = bytes(r, blockBytes + r.nextInt(blockBytes)); // a key larger than a block
      } else if (i % 19 == 0) {
        key = new byte[0];
      }
      out.add(new Rec(partition, key, bytes(r, valueLength)));
    }
    return out;
  }

  static byte[] bytes(SplittableRandom r, int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; ) {
      long v = r.nextLong();
      for (int j = 0; j < 8 && i < length; j++, i++) {
        b[i] = (byte) (v >>> (8 * j));
      }
    }
    return b;
  }

  /** Writes the records, each key and value in pieces, as a coder streaming into the region would. */
  void writeTo(SegmentWriter writer) {
    for (Rec rec : generate()) {
      writer.startRecord(rec.partition());
      writeInPieces(writer, rec.key());
      writer.endKey();
      writeInPieces(writer, rec.value());
      writer.endRecord();
    }
  }

  private static void writeInPieces(SegmentWriter writer, byte[] bytes) {
    int piece = Math.max(1, bytes.length / 3);
    for (int off = 0; off < bytes.length; off += piece) {
      put(writer, bytes, off, Math.min(piece, bytes.length - off));
    }
  }

  /** {@code writer.stream().write}, without the checked exception it never throws. */
  static void put(SegmentWriter writer, byte[] bytes, int off, int len) {
    try {
      writer.stream().write(bytes, off, len);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** SHA-256 over the records partition by partition, in write order within each partition. */
  String expectedDigest() {
    List<List<Rec>> byPartition = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      byPartition.add(new ArrayList<>());
    }
    for (Rec rec : generate()) {
      byPartition.get(rec.partition()).add(rec);
    }
    return digest(byPartition);
  }

  /** SHA-256 over records grouped by partition (index = partition), in list order within each. */
  public static String digest(List<List<Rec>> byPartition) {
    MessageDigest d = sha256();
    for (int p = 0; p < byPartition.size(); p++) {
      for (Rec rec : byPartition.get(p)) {
        update(d, p, ByteBuffer.wrap(rec.key()), ByteBuffer.wrap(rec.value()));
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }

  /** The same digest over what a reader yields. */
  public static String digest(SegmentReader reader) {
    MessageDigest d = sha256();
    for (int p = 0; p < reader.partitions(); p++) {
      SegmentReader.RecordCursor c = reader.partition(p);
      while (c.next()) {
        update(d, p, c.key(), c.value());
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static void update(MessageDigest d, int partition, ByteBuffer key, ByteBuffer value) {
    d.update(ByteBuffer.allocate(12).putInt(partition).putInt(key.remaining()).putInt(value.remaining()).flip());
    d.update(key.duplicate());
    d.update(value.duplicate());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
