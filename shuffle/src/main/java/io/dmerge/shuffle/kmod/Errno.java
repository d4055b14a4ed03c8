package io.dmerge.shuffle.kmod;

/** The Linux (x86-64 and arm64) errno values that the module documents, with their names. */
final class Errno {
  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EINTR = 4;
  static final int E2BIG = 7;
  static final int EBADF = 9;
  static final int ENOMEM = 12;
  static final int EACCES = 13;
  static final int EFAULT = 14;
  static final int EEXIST = 17;
  static final int ENODEV = 19;
  static final int EINVAL = 22;
  static final int ENOTTY = 25;
  static final int ELOOP = 40;
  static final int EREMOTE = 66;
  static final int EDQUOT = 122;

  private Errno() {}

  static String name(int errno) {
    return switch (errno) {
      case EPERM -> "EPERM";
      case ENOENT -> "ENOENT";
      case EINTR -> "EINTR";
      case E2BIG -> "E2BIG";
      case EBADF -> "EBADF";
      case ENOMEM -> "ENOMEM";
      case EACCES -> "EACCES";
      case EFAULT -> "EFAULT";
      case EEXIST -> "EEXIST";
      case ENODEV -> "ENODEV";
      case EINVAL -> "EINVAL";
      case ENOTTY -> "ENOTTY";
      case ELOOP -> "ELOOP";
      case EREMOTE -> "EREMOTE";
      case EDQUOT -> "EDQUOT";
      default -> "errno " + errno;
    };
  }

  static String describe(int errno) {
    String name = name(errno);
    return name.startsWith("errno") ? name : name + " (errno " + errno + ")";
  }
}
