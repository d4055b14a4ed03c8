package io.dmerge.shuffle.segment;

/** A segment whose bytes are not what its producer wrote: truncated, overwritten or of another format. */
public final class CorruptSegmentException extends RuntimeException {
  public CorruptSegmentException(String region, String problem) {
    super("corrupted Dmerge segment in region '" + region + "': " + problem);
  }
}
