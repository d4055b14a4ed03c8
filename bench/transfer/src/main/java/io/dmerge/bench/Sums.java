package io.dmerge.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;

/** Reads every byte of a buffer by summing it as native-order longs: the consumer's "use" of the data. */
final class Sums {
  private Sums() {}

  static long sum(ByteBuffer bytes) {
    ByteBuffer b = bytes.duplicate().order(ByteOrder.nativeOrder());
    LongBuffer l = b.asLongBuffer();
    int n = l.remaining();
    long s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      s0 += l.get(i);
      s1 += l.get(i + 1);
      s2 += l.get(i + 2);
      s3 += l.get(i + 3);
    }
    for (; i < n; i++) {
      s0 += l.get(i);
    }
    long s = s0 + s1 + s2 + s3;
    for (int j = b.position() + n * 8; j < b.limit(); j++) {
      s += b.get(j);
    }
    return s;
  }

  /** Fills with a position-dependent pattern, so that a transfer that drops or reorders bytes changes the sum. */
  static void fill(ByteBuffer b) {
    ByteBuffer d = b.duplicate().order(ByteOrder.nativeOrder());
    int longs = d.remaining() / 8;
    for (int i = 0; i < longs; i++) {
      long x = i * 0x9E3779B97F4A7C15L;
      d.putLong(i * 8, x ^ (x >>> 29));
    }
  }
}
