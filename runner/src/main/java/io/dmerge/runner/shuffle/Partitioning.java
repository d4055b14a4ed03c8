package io.dmerge.runner.shuffle;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Maps encoded keys to partitions; producers and consumers must agree, so it lives in one place. */
public final class Partitioning {
  private Partitioning() {}

  public static int partition(byte[] encodedKey, int partitions) {
    return Math.floorMod(mix(Arrays.hashCode(encodedKey)), partitions);
  }

  public static int partition(ByteBuffer encodedKey, int partitions) {
    int h = 1;
    for (int i = encodedKey.position(); i < encodedKey.limit(); i++) {
      h = 31 * h + encodedKey.get(i);
    }
    return Math.floorMod(mix(h), partitions);
  }

  /** Spreads the low-entropy bits of Arrays.hashCode so small key sets still balance. */
  private static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    return h;
  }
}
