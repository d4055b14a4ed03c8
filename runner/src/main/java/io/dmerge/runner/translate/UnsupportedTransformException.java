package io.dmerge.runner.translate;

/** A transform the runner cannot execute, named with its URN, raised before anything runs. */
public final class UnsupportedTransformException extends UnsupportedOperationException {
  public UnsupportedTransformException(String transformName, String urn, String reason) {
    super("DmergeRunner cannot execute transform '" + transformName + "' (URN " + urn + "): " + reason);
  }
}
