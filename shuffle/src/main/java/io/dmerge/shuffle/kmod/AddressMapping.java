package io.dmerge.shuffle.kmod;

import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import io.dmerge.shuffle.NativeMapping;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A range that the module's RMAP mapped into this process (addr, len), handed out as direct
 * buffers and unmapped with munmap (libdmerge's {@code runmap}) on {@link #close()}; the munmap
 * drops the mapping's reference on the region.
 */
final class AddressMapping implements NativeMapping {
  private final long address;
  private final long length;
  private boolean closed;

  AddressMapping(long address, long length) {
    if (address == 0 || length <= 0) {
      throw new IllegalArgumentException("bad mapping " + Long.toHexString(address) + "+" + length);
    }
    this.address = address;
    this.length = length;
  }

  long address() {
    return address;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public synchronized ByteBuffer view(long offset, int viewLength) {
    if (closed) {
      throw new IllegalStateException("mapping at 0x" + Long.toHexString(address) + " is unmapped");
    }
    if (offset < 0 || viewLength < 0 || offset + viewLength > length) {
      throw new IndexOutOfBoundsException("[" + offset + ", +" + viewLength + ") outside a mapping of " + length);
    }
    // JNA's NewDirectByteBuffer: no cleaner, no copy; the order is reset to the Java default.
    return new Pointer(address).getByteBuffer(offset, viewLength).order(ByteOrder.BIG_ENDIAN);
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      LibC.INSTANCE.munmap(new Pointer(address), new NativeLong(length));
    }
  }
}
