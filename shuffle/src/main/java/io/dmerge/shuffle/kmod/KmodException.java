package io.dmerge.shuffle.kmod;

import io.dmerge.shuffle.DmergeException;

/** A call into {@code /dev/dmerge} (or the libc calls around it) failed with {@link #errno()}. */
public final class KmodException extends DmergeException {
  private final int errno;

  public KmodException(String what, int errno) {
    super(what + ": " + Errno.describe(errno));
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }
}
