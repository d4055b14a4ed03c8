package io.dmerge.shuffle;

import java.nio.ByteBuffer;

/**
 * Memory that a transport mapped into this process as one contiguous address range, for example
 * the kernel module's rmap (see {@code io.dmerge.shuffle.kmod}). A {@link MappedRegion} built on
 * it hands out views of the range and calls {@link #close()} (munmap) when it is closed.
 */
public interface NativeMapping extends AutoCloseable {

  /** Bytes mapped; at least the region's size. */
  long length();

  /**
   * A direct buffer over {@code [offset, offset + length)} of the range. It is only valid until
   * {@link #close()}: touching it afterwards touches unmapped memory.
   */
  ByteBuffer view(long offset, int length);

  /** Unmaps the range. Idempotent. */
  @Override
  void close();
}
