package io.dmerge.shuffle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A region under construction: a file in a memory-backed (or spill) directory, mapped writable in
 * {@link Windows}, into which a producer serializes its output directly. Space is handed out as
 * blocks; nothing reads the region until {@link Dmerge#register} publishes it.
 */
public final class RegionBuffer implements AutoCloseable {
  private final String id;
  private final Path file;
  private final FileChannel channel;
  /** Recycled files only: the file's lifetime token and its (cached) window mappings. */
  private final String token;
  private final MappingCache.Lease lease;
  private final List<ByteBuffer> windows = new ArrayList<>();
  private final List<MappedByteBuffer> oversized = new ArrayList<>();
  private long end;
  private boolean finished;

  /** A new region backed by {@code file}, which must not exist yet. */
  public RegionBuffer(String id, Path file) {
    this.id = id;
    this.file = file;
    this.token = null;
    this.lease = null;
    try {
      this.channel =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Dmerge region file " + file, e);
    }
  }

  /**
   * A region in a recyclable file that is already open read-write (new, or claimed from a
   * transport's pool): windows come from {@code lease}, which may already hold them mapped from
   * an earlier use of the same file in this process. Sealing keeps the file at its size (whole
   * windows) and returns the windows to the lease's cache instead of truncating and unmapping.
   */
  public RegionBuffer(String id, Path file, FileChannel channel, String token, MappingCache.Lease lease) {
    this.id = id;
    this.file = file;
    this.channel = channel;
    this.token = token;
    this.lease = lease;
  }

  /** The recyclable file's lifetime token, or null for a region that is not recycled. */
  public String token() {
    return token;
  }

  public String id() {
    return id;
  }

  public Path file() {
    return file;
  }

  /** Bytes handed out so far, including alignment gaps. */
  public long size() {
    return end;
  }

  /** Reserves {@code length} bytes and returns their offset. */
  public long allocate(long length) {
    checkOpen();
    if (length <= 0) {
      throw new IllegalArgumentException("block length must be positive: " + length);
    }
    long offset = end;
    if (!Windows.within(offset, length)) {
      // Skip to the next window; the gap stays a hole in the sparse file and costs no memory.
      offset = (long) (Windows.index(offset) + 1) * Windows.SIZE;
    }
    end = offset + length;
    return offset;
  }

  /** A writable view of an allocated block; position 0 is the block's first byte. */
  public ByteBuffer block(long offset, int length) {
    checkOpen();
    if (offset < 0 || offset + length > end) {
      throw new IndexOutOfBoundsException("block [" + offset + ", +" + length + ") outside region " + id);
    }
    if (!Windows.within(offset, length)) {
      MappedByteBuffer big = map(offset, length);
      oversized.add(big);
      return big;
    }
    ByteBuffer window = window(Windows.index(offset));
    int start = (int) (offset - (long) Windows.index(offset) * Windows.SIZE);
    return window.slice(start, length);
  }

  private ByteBuffer window(int index) {
    while (windows.size() <= index) {
      windows.add(null);
    }
    ByteBuffer w = windows.get(index);
    if (w == null) {
      w = lease != null
          ? lease.window(index, channel, Windows.SIZE, Windows.SIZE)
          : map((long) index * Windows.SIZE, Windows.SIZE);
      windows.set(index, w);
    }
    return w;
  }

  private MappedByteBuffer map(long offset, long length) {
    try {
      return channel.map(FileChannel.MapMode.READ_WRITE, offset, length);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot map region " + id + " at " + offset, e);
    }
  }

  /**
   * Seals the region before registration and drops the writable mappings. A region that is not
   * recycled trims its file to what was handed out; a recycled one keeps its file's size (it never
   * shrinks: other processes may hold cached mappings of it) and returns its windows to the cache.
   */
  public void seal() {
    if (finished) {
      return;
    }
    finished = true;
    unmapAll();
    try {
      if (lease == null) {
        channel.truncate(end);
      } else {
        lease.close();
      }
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot seal region " + id, e);
    }
  }

  private void unmapAll() {
    if (lease == null) {
      windows.forEach(Unmapper::unmap);
    }
    oversized.forEach(Unmapper::unmap);
    windows.clear();
    oversized.clear();
  }

  private void checkOpen() {
    if (finished) {
      throw new IllegalStateException("region " + id + " is already registered or discarded");
    }
  }

  /** Discards an unregistered region (for example when its task failed). */
  @Override
  public void close() {
    if (!finished) {
      finished = true;
      unmapAll();
      if (lease != null) {
        lease.discard();
      }
      try {
        channel.close();
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot discard region " + id, e);
      }
    }
  }
}
