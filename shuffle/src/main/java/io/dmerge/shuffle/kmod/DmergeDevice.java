package io.dmerge.shuffle.kmod;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.posix.LibC;
import java.nio.file.Path;

/**
 * One open file descriptor of {@code /dev/dmerge} and the module's ioctls on it, encoded by hand
 * from {@code kmod/include/dmerge_uapi.h} (fixed-size, naturally aligned fields: the offsets below
 * are the C layout on every 64-bit Linux). Regions registered through a descriptor belong to it:
 * closing it (or the process dying) releases them.
 */
final class DmergeDevice implements AutoCloseable {
  static final Path DEFAULT_PATH = Path.of("/dev/dmerge");

  // _IOC(dir, 0xDE, nr, size) = dir << 30 | size << 16 | 0xDE << 8 | nr; checked against the C header.
  static final long IOC_QUERY_MAC = ioc(2, 1, MacLayout.SIZE); // _IOR
  static final long IOC_REGISTER = ioc(3, 2, RegisterLayout.SIZE); // _IOWR
  static final long IOC_RMAP = ioc(3, 3, RmapLayout.SIZE); // _IOWR
  static final long IOC_RELEASE = ioc(1, 4, ReleaseLayout.SIZE); // _IOW
  static final long IOC_STATS = ioc(2, 5, StatsLayout.SIZE); // _IOR

  /** DMERGE_RMAP_READONLY: MAP_SHARED + PROT_READ, never writable. */
  static final long RMAP_READONLY = 1;

  static long ioc(int dir, int nr, int size) {
    return ((long) dir << 30) | ((long) size << 16) | (0xDEL << 8) | nr;
  }

  /** struct dmerge_mac, 28 bytes. */
  static final class MacLayout {
    static final int SIZE = 28;
    static final int MAC = 0;
    static final int IFINDEX = 8;
    static final int IFNAME = 12;
  }

  /** struct dmerge_register, 72 bytes. */
  static final class RegisterLayout {
    static final int SIZE = 72;
    static final int ID = 0;
    static final int KEY = 8;
    static final int VM_START = 24;
    static final int VM_END = 32;
    static final int FLAGS = 40;
    static final int OUT_SIZE = 48;
    static final int OUT_NR_PAGES = 56;
    static final int OUT_HANDLE = 64;
  }

  /** struct dmerge_rmap, 96 bytes. */
  static final class RmapLayout {
    static final int SIZE = 96;
    static final int MAC = 0;
    static final int ID = 8;
    static final int KEY = 16;
    static final int VM_START = 32;
    static final int VM_END = 40;
    static final int FLAGS = 48;
    static final int OUT_ADDR = 56;
    static final int OUT_LEN = 64;
    static final int OUT_SIZE = 72;
    static final int OUT_NR_PAGES = 80;
    static final int OUT_HANDLE = 88;
  }

  /** struct dmerge_release, 32 bytes. */
  static final class ReleaseLayout {
    static final int SIZE = 32;
    static final int ID = 0;
    static final int KEY = 8;
    static final int FLAGS = 24;
  }

  /** struct dmerge_stats: 12 x u64. */
  static final class StatsLayout {
    static final int SIZE = 96;
  }

  /** vm_meta: what REGISTER returns. */
  record Registered(long size, long nrPages, long handle) {}

  /** rmap_result: where RMAP mapped the region in this process. */
  record Rmapped(long addr, long len, long size, long nrPages, long handle) {}

  /** The module's counters, in the order of {@code struct dmerge_stats}. */
  record Stats(
      long regions,
      long regionsLive,
      long pagesPinned,
      long bytesPinned,
      long activeMaps,
      long registrations,
      long rmaps,
      long releases,
      long deniedKey,
      long unknownId,
      long remote,
      long limitDenials) {}

  private final Path path;
  private final int fd;
  private volatile boolean closed;

  private DmergeDevice(Path path, int fd) {
    this.path = path;
    this.fd = fd;
  }

  /** Opens the device; {@link KmodException} with the errno if that fails. */
  static DmergeDevice open(Path path) {
    if (!Platform.isLinux() || Native.POINTER_SIZE != 8) {
      throw new KmodException("the kernel module transport needs a 64-bit Linux JVM", Errno.ENODEV);
    }
    int fd = LibC.INSTANCE.open(path.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
    if (fd < 0) {
      throw new KmodException("open " + path, Native.getLastError());
    }
    return new DmergeDevice(path, fd);
  }

  Path path() {
    return path;
  }

  /** DMERGE_IOC_REGISTER: pin {@code [start, end)} of this process and publish it as (id, key). */
  Registered register(long id, AccessKey key, long start, long end) {
    try (Memory m = zeroed(RegisterLayout.SIZE)) {
      m.setLong(RegisterLayout.ID, id);
      m.write(RegisterLayout.KEY, key.bytes(), 0, AccessKey.BYTES);
      m.setLong(RegisterLayout.VM_START, start);
      m.setLong(RegisterLayout.VM_END, end);
      m.setLong(RegisterLayout.FLAGS, 0);
      ioctl(IOC_REGISTER, m, "REGISTER id " + Long.toUnsignedString(id, 16));
      return new Registered(
          m.getLong(RegisterLayout.OUT_SIZE), m.getLong(RegisterLayout.OUT_NR_PAGES), m.getLong(RegisterLayout.OUT_HANDLE));
    }
  }

  /** DMERGE_IOC_RMAP of the whole region on this node (MAC all zero); the module maps it and says where. */
  Rmapped rmap(long id, AccessKey key, long flags) {
    try (Memory m = zeroed(RmapLayout.SIZE)) {
      m.setLong(RmapLayout.ID, id);
      m.write(RmapLayout.KEY, key.bytes(), 0, AccessKey.BYTES);
      m.setLong(RmapLayout.FLAGS, flags);
      ioctl(IOC_RMAP, m, "RMAP id " + Long.toUnsignedString(id, 16));
      return new Rmapped(
          m.getLong(RmapLayout.OUT_ADDR),
          m.getLong(RmapLayout.OUT_LEN),
          m.getLong(RmapLayout.OUT_SIZE),
          m.getLong(RmapLayout.OUT_NR_PAGES),
          m.getLong(RmapLayout.OUT_HANDLE));
    }
  }

  /** DMERGE_IOC_RELEASE; only through the descriptor that registered the region (else EPERM). */
  void release(long id, AccessKey key) {
    try (Memory m = zeroed(ReleaseLayout.SIZE)) {
      m.setLong(ReleaseLayout.ID, id);
      m.write(ReleaseLayout.KEY, key.bytes(), 0, AccessKey.BYTES);
      ioctl(IOC_RELEASE, m, "RELEASE id " + Long.toUnsignedString(id, 16));
    }
  }

  Stats stats() {
    try (Memory m = zeroed(StatsLayout.SIZE)) {
      ioctl(IOC_STATS, m, "STATS");
      long[] v = m.getLongArray(0, 12);
      return new Stats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]);
    }
  }

  /** This node's MAC as "aa:bb:cc:dd:ee:ff" (the module's QUERY_MAC). */
  String queryMac() {
    try (Memory m = zeroed(MacLayout.SIZE)) {
      ioctl(IOC_QUERY_MAC, m, "QUERY_MAC");
      byte[] mac = m.getByteArray(MacLayout.MAC, 6);
      StringBuilder sb = new StringBuilder();
      for (byte b : mac) {
        sb.append(sb.length() == 0 ? "" : ":").append(String.format("%02x", b & 0xff));
      }
      return sb.toString();
    }
  }

  private void ioctl(long request, Memory arg, String what) {
    if (closed) {
      throw new IllegalStateException(path + " is closed");
    }
    if (LibC.INSTANCE.ioctl(fd, new NativeLong(request), arg) < 0) {
      throw new KmodException(what + " on " + path, Native.getLastError());
    }
  }

  private static Memory zeroed(int size) {
    Memory m = new Memory(size);
    m.clear();
    return m;
  }

  /** Closes the descriptor: the module releases every region registered through it. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      LibC.INSTANCE.close(fd);
    }
  }
}
