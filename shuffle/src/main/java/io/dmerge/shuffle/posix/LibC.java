package io.dmerge.shuffle.posix;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The few libc calls the native transports need, through JNA (no JNI shim to build). Each
 * returns -1 (or MAP_FAILED) on failure; the caller reads errno with {@link Native#getLastError()},
 * which JNA captures right after the call on the same thread. {@code size_t}/{@code off_t} are
 * {@link NativeLong} (64 bits: the transport requires a 64-bit JVM on Linux).
 */
public interface LibC extends Library {
  LibC INSTANCE = Native.load("c", LibC.class);

  int O_RDONLY = 0;
  int O_RDWR = 2;
  int O_CLOEXEC = 0x80000;
  int PROT_READ = 1;
  int MAP_SHARED = 1;
  long MAP_FAILED = -1L;

  int open(String path, int flags);

  int close(int fd);

  int ioctl(int fd, NativeLong request, Pointer arg);

  Pointer mmap(Pointer addr, NativeLong length, int prot, int flags, int fd, NativeLong offset);

  int munmap(Pointer addr, NativeLong length);

  long sysconf(int name);

  int _SC_PAGESIZE = 30;
}
