package io.dmerge.shuffle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A consumer's read-only mapping of a registered region: the producer's pages, not a copy. Views
 * handed out stay mapped until {@link #close()}; with a recycling transport their content is only
 * the region's until the region is released (its file may then be written again). Backed either by the region's file (mapped lazily
 * in {@link Windows}) or by a {@link NativeMapping} that a transport already mapped (the kernel
 * module's rmap).
 */
public final class MappedRegion implements AutoCloseable {
  private final RegionMeta meta;
  /** Exactly one of {@code channel} (file-backed, mapped lazily) and {@code mapping} is set. */
  private final FileChannel channel;
  private final NativeMapping mapping;
  /** File-backed only, when the transport caches mappings: where windows come from and go back to. */
  private final MappingCache.Lease lease;
  /** The file's size when it was opened: cached windows are mapped whole as far as the file goes. */
  private final long fileSize;
  private final List<ByteBuffer> windows = new ArrayList<>();
  private final List<MappedByteBuffer> oversized = new ArrayList<>();
  private boolean closed;

  /** Maps {@code channel}'s bytes, described by {@code meta}, on demand; takes ownership of the channel. */
  public MappedRegion(RegionMeta meta, FileChannel channel) {
    this.meta = meta;
    this.channel = channel;
    this.mapping = null;
    this.lease = null;
    this.fileSize = meta.size();
  }

  /**
   * Maps {@code channel}'s bytes on demand through {@code lease}, whose windows may already be
   * mapped from an earlier use of the same file in this process; {@link #close()} returns them to
   * the cache instead of unmapping them. Takes ownership of the channel and the lease. {@code
   * fileSize} is the file's current size ({@code meta.size()} or more).
   */
  public MappedRegion(RegionMeta meta, FileChannel channel, long fileSize, MappingCache.Lease lease) {
    this.meta = meta;
    this.channel = channel;
    this.mapping = null;
    this.lease = lease;
    this.fileSize = Math.max(fileSize, meta.size());
  }

  /**
   * Serves the region from a range that is already mapped (for example by the kernel module's
   * rmap); takes ownership of the mapping and unmaps it on {@link #close()}.
   */
  public MappedRegion(RegionMeta meta, NativeMapping mapping) {
    if (mapping.length() < meta.size()) {
      mapping.close();
      throw new DmergeException(
          "mapping of region " + meta.id() + " has " + mapping.length() + " bytes, less than its size " + meta.size());
    }
    this.meta = meta;
    this.channel = null;
    this.mapping = mapping;
    this.lease = null;
    this.fileSize = meta.size();
  }

  public RegionMeta meta() {
    return meta;
  }

  public long size() {
    return meta.size();
  }

  /** A read-only view of {@code [offset, offset + length)}. */
  public synchronized ByteBuffer slice(long offset, int length) {
    if (closed) {
      throw new IllegalStateException("region " + meta.id() + " is unmapped");
    }
    if (offset < 0 || length < 0 || offset + length > meta.size()) {
      throw new DmergeException(
          "read [" + offset + ", +" + length + ") is outside region " + meta.id() + " of " + meta.size() + " bytes");
    }
    if (length == 0) {
      return ByteBuffer.allocate(0);
    }
    if (!Windows.within(offset, length)) {
      if (mapping != null) {
        return mapping.view(offset, length).asReadOnlyBuffer();
      }
      MappedByteBuffer big = map(offset, length);
      oversized.add(big);
      return big.asReadOnlyBuffer();
    }
    int index = Windows.index(offset);
    while (windows.size() <= index) {
      windows.add(null);
    }
    ByteBuffer w = windows.get(index);
    if (w == null) {
      long start = (long) index * Windows.SIZE;
      int windowLength = (int) Math.min(Windows.SIZE, meta.size() - start);
      if (mapping != null) {
        w = mapping.view(start, windowLength);
      } else if (lease != null) {
        w = lease.window(index, channel, Math.min(Windows.SIZE, fileSize - start), windowLength);
      } else {
        w = map(start, windowLength);
      }
      windows.set(index, w);
    }
    return w.slice((int) (offset - (long) index * Windows.SIZE), length).asReadOnlyBuffer();
  }

  private MappedByteBuffer map(long offset, long length) {
    try {
      return channel.map(FileChannel.MapMode.READ_ONLY, offset, length);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot map region " + meta.id(), e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (mapping != null) {
      // Views of a native mapping own nothing; the one munmap below drops the whole range.
      windows.clear();
      mapping.close();
      return;
    }
    if (lease != null) {
      lease.close(); // the windows stay cached for the next rmap of this file
    } else {
      windows.forEach(Unmapper::unmap);
    }
    oversized.forEach(Unmapper::unmap);
    windows.clear();
    oversized.clear();
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
