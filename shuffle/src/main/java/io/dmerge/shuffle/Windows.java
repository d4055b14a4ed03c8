package io.dmerge.shuffle;

/**
 * Regions are mapped in fixed windows because one Java mapping holds at most 2 GiB. Blocks never
 * straddle a window boundary unless they are larger than a window, so a reader finds any block in
 * a single mapping.
 */
final class Windows {
  static final int SIZE = 64 << 20;

  private Windows() {}

  static int index(long offset) {
    return (int) (offset / SIZE);
  }

  static boolean within(long offset, long length) {
    return index(offset) == index(offset + length - 1);
  }
}
