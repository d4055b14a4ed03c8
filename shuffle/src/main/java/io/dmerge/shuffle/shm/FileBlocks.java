package io.dmerge.shuffle.shm;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The memory a region file really holds: {@code st_blocks * 512} from {@code stat(2)}, which on a
 * tmpfs counts the pages the file has (a recycled file keeps the pages of its largest use; its
 * size is whole windows, mostly holes). Java has no portable way to read {@code st_blocks}, so
 * this calls libc's {@code stat} through JNA, on x86-64 and aarch64 Linux (whose {@code struct
 * stat} both keep {@code st_blocks} at byte 64). Elsewhere, or if libc has no {@code stat}
 * symbol (glibc before 2.33), it falls back to the file's size.
 */
final class FileBlocks {
  private interface Stat extends Library {
    int stat(String path, byte[] buf);
  }

  private static final int STRUCT_STAT_BYTES = 256; // larger than struct stat on both ABIs
  private static final int ST_BLOCKS_OFFSET = 64;
  private static final Stat STAT = load();

  private FileBlocks() {}

  private static Stat load() {
    String arch = System.getProperty("os.arch");
    if (!System.getProperty("os.name").equals("Linux") || !(arch.equals("amd64") || arch.equals("aarch64"))) {
      return null;
    }
    try {
      Stat s = Native.load("c", Stat.class);
      s.stat("/", new byte[STRUCT_STAT_BYTES]);
      return s;
    } catch (LinkageError | RuntimeException e) {
      return null;
    }
  }

  /** Bytes of memory (or disk) allocated to {@code file}; 0 if it does not exist. */
  static long allocated(Path file) {
    try {
      if (STAT == null) {
        return Files.size(file);
      }
      byte[] buf = new byte[STRUCT_STAT_BYTES];
      if (STAT.stat(file.toString(), buf) != 0) {
        return 0; // gone (released concurrently)
      }
      long blocks = 0;
      for (int i = 7; i >= 0; i--) {
        blocks = (blocks << 8) | (buf[ST_BLOCKS_OFFSET + i] & 0xff); // little endian on both ABIs
      }
      return blocks * 512;
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      return 0;
    }
  }
}
