package io.dmerge.shuffle;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Unmaps a mapped buffer now instead of when the GC finds it: a released region's pages must go
 * back to the kernel promptly, or /dev/shm fills up with garbage the heap does not see.
 */
final class Unmapper {
  private static final sun.misc.Unsafe UNSAFE = unsafe();

  private Unmapper() {}

  static void unmap(ByteBuffer buffer) {
    if (buffer != null && buffer.isDirect()) {
      UNSAFE.invokeCleaner(buffer);
    }
  }

  private static sun.misc.Unsafe unsafe() {
    try {
      Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      return (sun.misc.Unsafe) f.get(null);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
