package io.dmerge.shuffle;

/** A register/rmap/release failure; the subclasses name the cause. */
public class DmergeException extends RuntimeException {
  public DmergeException(String message) {
    super(message);
  }

  public DmergeException(String message, Throwable cause) {
    super(message, cause);
  }

  /** rmap presented a key that is not the region's key. */
  public static final class AccessDenied extends DmergeException {
    public AccessDenied(String id) {
      super("access denied to Dmerge region '" + id + "': wrong access key");
    }
  }

  /** rmap named a region that is not registered (never, or already released). */
  public static final class UnknownRegion extends DmergeException {
    public UnknownRegion(String id, String where) {
      super("unknown Dmerge region '" + id + "' in " + where);
    }
  }
}
