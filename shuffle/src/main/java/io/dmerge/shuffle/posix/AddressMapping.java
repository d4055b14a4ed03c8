package io.dmerge.shuffle.posix;

import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import io.dmerge.shuffle.NativeMapping;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A range mapped into this process (addr, len) — by the module's RMAP or by mmap of a region file —
 * handed out as direct buffers and unmapped with munmap on {@link #close()}.
 */
public final class AddressMapping implements NativeMapping {
  private final long address;
  private final long length;
  private boolean closed;

  public AddressMapping(long address, long length) {
    if (address == 0 || length <= 0) {
      throw new IllegalArgumentException("bad mapping " + Long.toHexString(address) + "+" + length);
    }
    this.address = address;
    this.length = length;
  }

  /** Maps the first {@code length} bytes of {@code file} read-only and shared: the file's own pages. */
  public static AddressMapping mapFile(Path file, long length) throws IOException {
    int fd = LibC.INSTANCE.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
    if (fd < 0) {
      throw new IOException("open " + file + " failed, errno " + Native.getLastError());
    }
    try {
      Pointer addr = LibC.INSTANCE.mmap(null, new NativeLong(length), LibC.PROT_READ, LibC.MAP_SHARED, fd, new NativeLong(0));
      if (addr == null || Pointer.nativeValue(addr) == LibC.MAP_FAILED) {
        throw new IOException("mmap " + file + " failed, errno " + Native.getLastError());
      }
      return new AddressMapping(Pointer.nativeValue(addr), length);
    } finally {
      LibC.INSTANCE.close(fd);
    }
  }

  public long address() {
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
