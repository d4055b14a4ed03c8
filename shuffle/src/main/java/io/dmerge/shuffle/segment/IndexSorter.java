package io.dmerge.shuffle.segment;

import java.nio.ByteBuffer;

/**
 * Sorts one partition's record positions by key, stably, comparing the keys where they lie in the
 * region: no key is copied to the heap, only the positions (a long each) are. A merge sort, because
 * stability keeps equal keys in write order; two halves already in order are joined after one
 * comparison, so input that arrives sorted costs linear time.
 */
final class IndexSorter {
  private static final int INSERTION_SORT_MAX = 16;
  private final ByteBuffer[] blocks;

  /** {@code blocks}: the partition's blocks, by ordinal, as the positions name them. */
  IndexSorter(ByteBuffer[] blocks) {
    this.blocks = blocks;
  }

  void sort(long[] positions) {
    mergeSort(positions.clone(), positions, 0, positions.length);
  }

  /** Sorts {@code [from, to)} into {@code dst}; on entry {@code src} and {@code dst} hold the same elements there. */
  private void mergeSort(long[] src, long[] dst, int from, int to) {
    if (to - from <= INSERTION_SORT_MAX) {
      insertionSort(dst, from, to);
      return;
    }
    int mid = (from + to) >>> 1;
    mergeSort(dst, src, from, mid);
    mergeSort(dst, src, mid, to);
    if (compare(src[mid - 1], src[mid]) <= 0) {
      System.arraycopy(src, from, dst, from, to - from);
      return;
    }
    for (int out = from, left = from, right = mid; out < to; out++) {
      // On a tie the left (earlier written) record goes first.
      if (right == to || (left < mid && compare(src[left], src[right]) <= 0)) {
        dst[out] = src[left++];
      } else {
        dst[out] = src[right++];
      }
    }
  }

  private void insertionSort(long[] a, int from, int to) {
    for (int i = from + 1; i < to; i++) {
      long p = a[i];
      int j = i - 1;
      while (j >= from && compare(a[j], p) > 0) {
        a[j + 1] = a[j];
        j--;
      }
      a[j + 1] = p;
    }
  }

  private int compare(long a, long b) {
    ByteBuffer x = blocks[SegmentFormat.blockOrdinal(a)];
    ByteBuffer y = blocks[SegmentFormat.blockOrdinal(b)];
    int xAt = SegmentFormat.offset(a);
    int yAt = SegmentFormat.offset(b);
    return KeyOrder.compare(
        x, xAt + SegmentFormat.FIELD_LENGTH_BYTES, x.getInt(xAt), y, yAt + SegmentFormat.FIELD_LENGTH_BYTES, y.getInt(yAt));
  }
}
