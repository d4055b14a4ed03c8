package io.dmerge.shuffle.shm;

import java.io.Serializable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/**
 * Where a job's regions live on a node.
 *
 * @param jobId names the job's directory; jobs never see each other's regions
 * @param memoryRoot memory-backed directory, normally on /dev/shm
 * @param spillRoot disk-backed directory for regions past the memory budget
 * @param memoryBudget bytes of registered regions kept in memory before spilling
 * @param node this node's name
 */
public record ShmConfig(String jobId, Path memoryRoot, Path spillRoot, long memoryBudget, String node)
    implements Serializable {

  public static final Path DEFAULT_MEMORY_ROOT = Path.of("/dev/shm/dmerge");

  public ShmConfig {
    if (!isPlainFileName(jobId)) {
      throw new IllegalArgumentException("job id must be a plain file name, got '" + jobId + "'");
    }
    if (memoryBudget < 0) {
      throw new IllegalArgumentException("memory budget must not be negative: " + memoryBudget);
    }
  }

  // java.nio.file.Path is not Serializable: ship the roots as strings.
  private Object writeReplace() {
    return new SerialForm(jobId, memoryRoot.toString(), spillRoot.toString(), memoryBudget, node);
  }

  private record SerialForm(String jobId, String memoryRoot, String spillRoot, long memoryBudget, String node)
      implements Serializable {
    private Object readResolve() {
      return new ShmConfig(jobId, Path.of(memoryRoot), Path.of(spillRoot), memoryBudget, node);
    }
  }

  /**
   * Whether {@code name} can only name an entry directly inside a directory: letters, digits,
   * {@code _ . -}, and no leading dot (which would also admit {@code ..}, the parent directory).
   * Job and region ids are path components, and the node agent takes them from the network.
   */
  public static boolean isPlainFileName(String name) {
    return name.matches("[A-Za-z0-9_.-]+") && !name.startsWith(".");
  }

  /** The job's directory under the memory root (see {@code RegionDirectory}). */
  public Path memoryDirectory() {
    return memoryRoot.resolve(jobId);
  }

  public static String localNode() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
