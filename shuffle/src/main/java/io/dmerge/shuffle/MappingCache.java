package io.dmerge.shuffle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One process's window mappings of recycled region files, kept after a region is sealed or a
 * consumer closes its {@link MappedRegion}, so that the next use of the same file in this process
 * (a producer that claims it again, a consumer that rmaps the next region written into it) finds
 * its page-table entries already in place and takes no page faults.
 *
 * <p>Entries are keyed by the file's <em>token</em>, a random name given to a region file when it
 * is created and kept for its whole life (through the recycling pool), so an inode number reused
 * by a new file can never be mistaken for a cached one. Every use of an entry is a {@link Lease};
 * an entry's mappings are only ever unmapped while no lease is open, so views handed out stay
 * valid until the lease that handed them out closes. Mappings of files that are unlinked must be
 * dropped: by {@link #drop} when this process unlinks the file, by {@link #sweep} (which reads
 * {@code /proc/self/maps}) when another process did.
 */
public final class MappingCache implements AutoCloseable {
  /** A region file's identity: its lifetime token plus its device and inode numbers. */
  public record FileId(String token, long dev, long ino) {
    /** Reads the device and inode numbers of {@code file}. */
    public static FileId of(String token, Path file) throws IOException {
      Map<String, Object> a = Files.readAttributes(file, "unix:dev,ino");
      return new FileId(token, ((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue());
    }
  }

  private final class Entry {
    final FileId id;
    final List<MappedByteBuffer> windows = new ArrayList<>();
    boolean writable;
    int leases;
    boolean dead;

    Entry(FileId id, boolean writable) {
      this.id = id;
      this.writable = writable;
    }

    void unmapAll() {
      windows.forEach(Unmapper::unmap);
      windows.clear();
    }

    long mappedBytes() {
      long n = 0;
      for (MappedByteBuffer w : windows) {
        n += w == null ? 0 : w.capacity();
      }
      return n;
    }
  }

  private final Map<String, Entry> entries = new HashMap<>();
  private final String mapsPathPrefix;
  private boolean closed;
  private long lastSweepNanos = System.nanoTime();

  /**
   * @param directory files are recognised in {@code /proc/self/maps} by this path prefix (the
   *     job's memory directory), so the sweep never looks at other mappings
   */
  public MappingCache(Path directory) {
    this.mapsPathPrefix = directory.toAbsolutePath().toString() + "/";
  }

  /**
   * Leases {@code file}'s cached windows: read-write for a producer (exclusive), read-only for a
   * consumer (shared; a producer's read-write windows are handed out as read-only views by {@link
   * MappedRegion}). When the entry cannot serve the lease (the cache is closed, or a producer asks
   * for a file that someone in this process still reads), the lease maps privately, as without a
   * cache, and unmaps on close.
   */
  public synchronized Lease lease(FileId file, boolean writable) {
    Entry e = entries.get(file.token());
    if (e != null && !e.id.equals(file)) {
      retire(e);
      e = null;
    }
    if (e != null && writable) {
      if (e.leases > 0) {
        e = null; // someone in this process still reads it: do not share writable windows
      } else if (!e.writable) {
        e.unmapAll(); // read-only windows cannot be written through: map again read-write
        e.writable = true;
      }
    }
    if (e == null && !closed && !entries.containsKey(file.token())) {
      e = new Entry(file, writable);
      entries.put(file.token(), e);
    }
    if (e != null) {
      e.leases++;
    }
    return new Lease(e, writable);
  }

  /** Whether this process holds mappings of the file named by {@code token} (a producer prefers such a file). */
  public synchronized boolean holds(String token, boolean writable) {
    Entry e = entries.get(token);
    return e != null && !e.dead && !e.windows.isEmpty() && (!writable || e.writable);
  }

  /** The file named by {@code token} was unlinked by this process: its mappings go (once no lease is open). */
  public synchronized void drop(String token) {
    Entry e = entries.get(token);
    if (e != null) {
      retire(e);
    }
  }

  /** Files mapped by the cache, in use or idle. */
  public synchronized int files() {
    return entries.size();
  }

  /** Bytes of window mappings the cache holds (address space, not necessarily resident memory). */
  public synchronized long mappedBytes() {
    long n = 0;
    for (Entry e : entries.values()) {
      n += e.mappedBytes();
    }
    return n;
  }

  /** {@link #sweep} at most once a second, and only when some idle entry could go. */
  public void maybeSweep() {
    synchronized (this) {
      long now = System.nanoTime();
      if (now - lastSweepNanos < 1_000_000_000L || entries.isEmpty()) {
        return;
      }
      lastSweepNanos = now;
    }
    sweep();
  }

  /**
   * Drops the idle entries whose file another process unlinked: {@code /proc/self/maps} marks the
   * mappings of an unlinked file {@code (deleted)}. Without this, a cached mapping would keep an
   * unlinked file's pages alive for as long as this process runs.
   */
  public void sweep() {
    Set<Long> deleted = new HashSet<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
        if (!line.endsWith(" (deleted)")) {
          continue;
        }
        int path = line.indexOf('/');
        if (path < 0 || !line.startsWith(mapsPathPrefix, path)) {
          continue;
        }
        String[] f = line.substring(0, path).trim().split("\\s+");
        if (f.length >= 5) {
          deleted.add(Long.parseLong(f[4]));
        }
      }
    } catch (IOException | RuntimeException e) {
      return; // no /proc: entries of unlinked files stay until close()
    }
    if (deleted.isEmpty()) {
      return;
    }
    synchronized (this) {
      for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
        Entry e = it.next();
        if (e.leases == 0 && deleted.contains(e.id.ino())) {
          e.dead = true;
          e.unmapAll();
          it.remove();
        }
      }
    }
  }

  private void retire(Entry e) {
    entries.remove(e.id.token());
    e.dead = true;
    if (e.leases == 0) {
      e.unmapAll();
    }
  }

  /**
   * Unmaps every idle entry; entries still leased are unmapped when their lease closes. Leases
   * taken afterwards map privately.
   */
  @Override
  public synchronized void close() {
    closed = true;
    for (Entry e : new ArrayList<>(entries.values())) {
      retire(e);
    }
  }

  /**
   * One use of a file's windows, by a {@link RegionBuffer} or a {@link MappedRegion}. Not
   * thread-safe on its own; its owner synchronizes.
   */
  public final class Lease implements AutoCloseable {
    private Entry entry;
    private final boolean writable;
    private final List<MappedByteBuffer> own = new ArrayList<>();
    private boolean closed;

    private Lease(Entry entry, boolean writable) {
      this.entry = entry;
      this.writable = writable;
    }

    /** Whether this lease shares the cache's mappings (false: it maps privately). */
    public boolean cached() {
      synchronized (MappingCache.this) {
        return entry != null && !entry.dead;
      }
    }

    /**
     * The mapping of window {@code index} (starting at {@code index * Windows.SIZE}), mapping
     * {@code mapLength} bytes of {@code channel} if it is not mapped yet. The result covers at
     * least {@code needed} bytes; position 0 is the window's first byte. Must not be modified
     * (callers slice it).
     */
    ByteBuffer window(int index, FileChannel channel, long mapLength, long needed) {
      if (closed) {
        throw new IllegalStateException("lease is closed");
      }
      long start = (long) index * Windows.SIZE;
      synchronized (MappingCache.this) {
        if (entry != null && !entry.dead) {
          List<MappedByteBuffer> ws = entry.windows;
          while (ws.size() <= index) {
            ws.add(null);
          }
          MappedByteBuffer w = ws.get(index);
          if (w == null) {
            w = map(channel, start, mapLength);
            ws.set(index, w);
          }
          if (w.capacity() >= needed) {
            return w;
          }
        }
      }
      MappedByteBuffer w = map(channel, start, Math.max(needed, mapLength));
      own.add(w);
      return w;
    }

    private MappedByteBuffer map(FileChannel channel, long offset, long length) {
      try {
        return channel.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, offset, length);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot map region file at " + offset, e);
      }
    }

    /** Done: cached windows stay mapped for the next use of the file; private ones are unmapped. */
    @Override
    public void close() {
      finish(false);
    }

    /** Done, and the file is being deleted: its cached windows go too (once no other lease is open). */
    public void discard() {
      finish(true);
    }

    private void finish(boolean drop) {
      if (closed) {
        return;
      }
      closed = true;
      own.forEach(Unmapper::unmap);
      own.clear();
      synchronized (MappingCache.this) {
        Entry e = entry;
        entry = null;
        if (e == null) {
          return;
        }
        e.leases--;
        if (drop || (e.windows.isEmpty() && e.leases == 0 && !e.dead)) {
          if (entries.get(e.id.token()) == e) {
            entries.remove(e.id.token());
          }
          e.dead = true;
        }
        if (e.dead && e.leases == 0) {
          e.unmapAll();
        }
      }
    }
  }
}
