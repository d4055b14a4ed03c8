package io.dmerge.shuffle;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/** A 128-bit unguessable capability that a consumer must present to rmap a region. */
public final class AccessKey implements java.io.Serializable {
  public static final int BYTES = 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] bytes;

  private AccessKey(byte[] bytes) {
    if (bytes.length != BYTES) {
      throw new IllegalArgumentException("an access key has " + BYTES + " bytes, got " + bytes.length);
    }
    this.bytes = bytes.clone();
  }

  public static AccessKey random() {
    byte[] b = new byte[BYTES];
    RANDOM.nextBytes(b);
    return new AccessKey(b);
  }

  /** A key as it travels in binary: exactly {@link #BYTES} bytes. */
  public static AccessKey fromBytes(byte[] bytes) {
    return new AccessKey(bytes);
  }

  public static AccessKey fromHex(String hex) {
    return new AccessKey(HexFormat.of().parseHex(hex));
  }

  public String toHex() {
    return HexFormat.of().formatHex(bytes);
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  /** Constant-time comparison, so timing does not leak how many leading bytes matched. */
  public boolean matches(AccessKey other) {
    return other != null && MessageDigest.isEqual(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AccessKey && matches((AccessKey) o);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "AccessKey(****)";
  }
}
