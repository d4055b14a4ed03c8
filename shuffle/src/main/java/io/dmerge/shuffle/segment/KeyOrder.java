package io.dmerge.shuffle.segment;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The order of keys in a sorted segment: unsigned lexicographic over the encoded key bytes, a
 * proper prefix first. Producers sort by it and consumers merge by it, so both must use this one.
 */
public final class KeyOrder {
  private KeyOrder() {}

  /** Compares the remaining bytes of {@code a} and {@code b}; positions are not moved. */
  public static int compare(ByteBuffer a, ByteBuffer b) {
    return compare(a, a.position(), a.remaining(), b, b.position(), b.remaining());
  }

  /**
   * Compares {@code a[aFrom, aFrom + aLength)} with {@code b[bFrom, bFrom + bLength)}, eight bytes
   * at a time: it runs for every comparison of a producer's sort, so it allocates nothing.
   */
  static int compare(ByteBuffer a, int aFrom, int aLength, ByteBuffer b, int bFrom, int bLength) {
    int n = Math.min(aLength, bLength);
    int i = 0;
    for (; i <= n - Long.BYTES; i += Long.BYTES) {
      long x = bigEndian(a, a.getLong(aFrom + i));
      long y = bigEndian(b, b.getLong(bFrom + i));
      if (x != y) {
        return Long.compareUnsigned(x, y);
      }
    }
    for (; i < n; i++) {
      int c = Byte.compareUnsigned(a.get(aFrom + i), b.get(bFrom + i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(aLength, bLength);
  }

  /** A word read in the buffer's byte order, as the big-endian number whose order is that of its bytes. */
  private static long bigEndian(ByteBuffer buffer, long word) {
    return buffer.order() == ByteOrder.BIG_ENDIAN ? word : Long.reverseBytes(word);
  }
}
