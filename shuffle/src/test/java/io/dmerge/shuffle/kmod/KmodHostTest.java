package io.dmerge.shuffle.kmod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.Dmerges;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.posix.AddressMapping;
import io.dmerge.shuffle.posix.LibC;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What of the kernel module transport can be tested without the module: runs on the host. */
class KmodHostTest {
  private Path memoryRoot;
  private Path spillRoot;

  @BeforeEach
  void setUp() throws Exception {
    memoryRoot = KmodRoundTrip.tmpfsDir("dmerge-kmod-host-");
    spillRoot = Files.createTempDirectory("dmerge-kmod-host-spill-");
  }

  @AfterEach
  void tearDown() throws Exception {
    KmodRoundTrip.deleteTree(memoryRoot);
    KmodRoundTrip.deleteTree(spillRoot);
  }

  private ShmConfig config(String job) {
    return new ShmConfig(job, memoryRoot, spillRoot, Long.MAX_VALUE, "host-node");
  }

  @Test
  void ioctlNumbersAndLayoutsMatchTheCHeader() {
    // printed by a C program including kmod/include/dmerge_uapi.h (x86-64)
    assertEquals(0x801cde01L, DmergeDevice.IOC_QUERY_MAC);
    assertEquals(0xc048de02L, DmergeDevice.IOC_REGISTER);
    assertEquals(0xc060de03L, DmergeDevice.IOC_RMAP);
    assertEquals(0x4020de04L, DmergeDevice.IOC_RELEASE);
    assertEquals(0x8060de05L, DmergeDevice.IOC_STATS);
    assertEquals(DmergeDevice.RegisterLayout.SIZE, DmergeDevice.RegisterLayout.OUT_HANDLE + 8);
    assertEquals(DmergeDevice.RmapLayout.SIZE, DmergeDevice.RmapLayout.OUT_HANDLE + 8);
    assertEquals(DmergeDevice.ReleaseLayout.SIZE, DmergeDevice.ReleaseLayout.FLAGS + 8);
  }

  @Test
  void kernelIdsAreDeterministicAndSeparateJobs() {
    long id = KmodDmerge.kernelId("job", "map-1-0");
    assertEquals(id, KmodDmerge.kernelId("job", "map-1-0"));
    assertNotEquals(id, KmodDmerge.kernelId("job2", "map-1-0"));
    assertNotEquals(id, KmodDmerge.kernelId("job", "map-1-1"));
    // the separator keeps ("a", "bc") and ("ab", "c") apart
    assertNotEquals(KmodDmerge.kernelId("a", "bc"), KmodDmerge.kernelId("ab", "c"));
    Set<Long> ids = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      assertTrue(ids.add(KmodDmerge.kernelId("job", "r" + i)));
    }
  }

  @Test
  void withoutTheDeviceTheFactoryChoosesSharedMemory() {
    Path missing = memoryRoot.resolve("no-such-device");
    try (Dmerge d = Dmerges.open(config("a"), Dmerges.Transport.AUTO, missing);
        Dmerge w = Dmerges.attach(config("a"), Dmerges.Transport.AUTO, missing)) {
      assertInstanceOf(ShmDmerge.class, d);
      assertInstanceOf(ShmDmerge.class, w);
      assertEquals("shm", Dmerges.transportName(d));
    }
    DmergeException e = assertThrows(DmergeException.class,
        () -> Dmerges.open(config("b"), Dmerges.Transport.KMOD, missing));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    try (Dmerge d = Dmerges.open(config("c"), Dmerges.Transport.SHM, Dmerges.DEFAULT_DEVICE)) {
      assertInstanceOf(ShmDmerge.class, d);
    }
  }

  @Test
  void aDeviceThatIsNotTheModuleIsNotUsed() {
    // /dev/null opens, but the module's ioctls fail (ENOTTY): JNA and libc are exercised here.
    Path notModule = Path.of("/dev/null");
    try (Dmerge d = Dmerges.open(config("d"), Dmerges.Transport.AUTO, notModule)) {
      assertInstanceOf(ShmDmerge.class, d);
    }
    DmergeException e = assertThrows(DmergeException.class,
        () -> Dmerges.open(config("e"), Dmerges.Transport.KMOD, notModule));
    assertTrue(e.getMessage().contains("ENOTTY"), e.getMessage());
    KmodException k = assertThrows(KmodException.class, () -> KmodDmerge.create(config("f"), notModule));
    assertEquals(Errno.ENOTTY, k.errno());
    assertFalse(Files.exists(memoryRoot.resolve("f")), "a failed open must not create the job");
  }

  @Test
  void mappedRegionServesSlicesOfANativeMapping() throws Exception {
    long window = KmodRoundTrip.WINDOW;
    long size = window + (1 << 20) + 123; // not page-aligned, like a real region
    Path file = memoryRoot.resolve("region");
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
      for (long at : new long[] {0, window - KmodRoundTrip.MARK, window, size - KmodRoundTrip.MARK}) {
        byte[] b = new byte[KmodRoundTrip.MARK];
        for (int i = 0; i < b.length; i++) {
          b[i] = KmodRoundTrip.pattern(at + i);
        }
        raf.seek(at);
        raf.write(b);
      }
    }
    long length = (size + 4095) / 4096 * 4096;
    int fd = LibC.INSTANCE.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
    assertTrue(fd >= 0);
    Pointer p = LibC.INSTANCE.mmap(null, new NativeLong(length), LibC.PROT_READ, LibC.MAP_SHARED, fd, new NativeLong(0));
    LibC.INSTANCE.close(fd);
    assertNotEquals(LibC.MAP_FAILED, Pointer.nativeValue(p));
    AddressMapping mapping = new AddressMapping(Pointer.nativeValue(p), length);
    try (MappedRegion region = new MappedRegion(new RegionMeta("n", "region", size), mapping)) {
      assertEquals(size, region.size());
      ByteBuffer across = region.slice(window - KmodRoundTrip.MARK, 2 * KmodRoundTrip.MARK);
      assertTrue(across.isReadOnly() && across.isDirect());
      for (int i = 0; i < across.remaining(); i++) {
        assertEquals(KmodRoundTrip.pattern(window - KmodRoundTrip.MARK + i), across.get(i));
      }
      ByteBuffer tail = region.slice(size - KmodRoundTrip.MARK, KmodRoundTrip.MARK);
      assertEquals(KmodRoundTrip.pattern(size - 1), tail.get(KmodRoundTrip.MARK - 1));
      assertEquals(region.slice(0, 8).getLong(), region.slice(0, 8).getLong()); // windows are cached
      assertThrows(DmergeException.class, () -> region.slice(size - 1, 2));
    }
    assertFalse(mappedAt(Pointer.nativeValue(p)), "close() must munmap the range");
    assertThrows(IllegalStateException.class, () -> mapping.view(0, 1));
  }

  @Test
  void aMappingShorterThanTheRegionIsRefused() {
    boolean[] closed = {false};
    io.dmerge.shuffle.NativeMapping tooShort = new io.dmerge.shuffle.NativeMapping() {
      @Override
      public long length() {
        return 4096;
      }

      @Override
      public ByteBuffer view(long offset, int length) {
        throw new AssertionError();
      }

      @Override
      public void close() {
        closed[0] = true;
      }
    };
    assertThrows(DmergeException.class, () -> new MappedRegion(new RegionMeta("n", "r", 8192), tooShort));
    assertTrue(closed[0]);
  }

  private static boolean mappedAt(long addr) throws Exception {
    return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> {
      String[] range = l.split("\\s+")[0].split("-");
      return Long.compareUnsigned(addr, Long.parseUnsignedLong(range[0], 16)) >= 0
          && Long.compareUnsigned(addr, Long.parseUnsignedLong(range[1], 16)) < 0;
    });
  }
}
