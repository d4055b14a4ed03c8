package io.dmerge.shuffle;

import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Stores into mapped region memory by address, as Spark's {@code Platform} and Flink's
 * {@code MemorySegment} do. The segment writer stores a few bytes at a time, several times per
 * record; through a {@link ByteBuffer} each such store also pays position, limit and scope checks,
 * which made it about twice as slow as the stores themselves. Callers check bounds: the writer
 * knows its block's capacity before every store.
 */
public final class RawMemory {
  static final sun.misc.Unsafe UNSAFE = unsafe();
  private static final long ADDRESS = addressField();
  private static final long BYTE_ARRAY_BASE = sun.misc.Unsafe.ARRAY_BYTE_BASE_OFFSET;
  private static final boolean BIG_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

  private RawMemory() {}

  /** The address of a direct buffer's first byte; the buffer must stay reachable while it is used. */
  public static long address(ByteBuffer direct) {
    if (!direct.isDirect()) {
      throw new IllegalArgumentException("not a direct buffer");
    }
    return UNSAFE.getLong(direct, ADDRESS);
  }

  public static void putByte(long address, byte value) {
    UNSAFE.putByte(address, value);
  }

  /** Stores an int in the segment format's byte order, little endian. */
  public static void putIntLittleEndian(long address, int value) {
    UNSAFE.putInt(address, BIG_ENDIAN ? Integer.reverseBytes(value) : value);
  }

  public static void copy(byte[] from, int offset, long to, int length) {
    UNSAFE.copyMemory(from, BYTE_ARRAY_BASE + offset, null, to, length);
  }

  public static void copy(long from, long to, long length) {
    UNSAFE.copyMemory(from, to, length);
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

  private static long addressField() {
    try {
      return UNSAFE.objectFieldOffset(Buffer.class.getDeclaredField("address"));
    } catch (NoSuchFieldException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
