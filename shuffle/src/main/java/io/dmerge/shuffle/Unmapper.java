package io.dmerge.shuffle;

import java.nio.ByteBuffer;

/**
 * Unmaps a mapped buffer now instead of when the GC finds it: a released region's pages must go
 * back to the kernel promptly, or /dev/shm fills up with garbage the heap does not see.
 */
final class Unmapper {
  private Unmapper() {}

  static void unmap(ByteBuffer buffer) {
    if (buffer != null && buffer.isDirect()) {
      RawMemory.UNSAFE.invokeCleaner(buffer);
    }
  }
}
