package io.dmerge.runner;

import io.dmerge.shuffle.shm.ShmConfig;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of the {@link DmergeRunner}. */
public interface DmergePipelineOptions extends PipelineOptions {

  @Description("Tasks that run at once, and the number of partitions of every shuffle. Default: the number of cores.")
  @Default.InstanceFactory(AvailableProcessors.class)
  int getParallelism();

  void setParallelism(int parallelism);

  @Description("Where stage tasks run: 'inprocess' (threads in this JVM), 'process' (local worker JVMs) or 'kubernetes' (pods).")
  @Default.String("inprocess")
  String getExecutor();

  void setExecutor(String executor);

  @Description("Memory-backed directory (a tmpfs) that holds the Dmerge regions of running jobs.")
  @Default.String("/dev/shm/dmerge")
  String getRegionDirectory();

  void setRegionDirectory(String directory);

  @Description("Disk-backed directory for regions past --regionMemoryBudget; they are still memory-mapped.")
  @Default.InstanceFactory(DefaultSpillDirectory.class)
  String getSpillDirectory();

  void setSpillDirectory(String directory);

  @Description("Bytes of registered regions a job keeps in memory before new regions go to --spillDirectory. Default: a quarter of physical memory.")
  @Default.InstanceFactory(QuarterOfMemory.class)
  long getRegionMemoryBudget();

  void setRegionMemoryBudget(long bytes);

  @Description("Attempts per task when it fails for a reason outside user code (a lost worker, an I/O error); user code exceptions fail the job at once.")
  @Default.Integer(3)
  int getMaxTaskAttempts();

  void setMaxTaskAttempts(int attempts);

  @Description("Bytes of a shuffle block, the unit in which a task's output for one partition is written.")
  @Default.Integer(256 * 1024)
  int getShuffleBlockBytes();

  void setShuffleBlockBytes(int bytes);

  @Description("Keyed shuffles write each partition with a key-order index, and consumers merge producers in key order, holding one key's elements at a time instead of indexing the whole partition on the heap. False: consumers group with a heap hash table.")
  @Default.Boolean(true)
  boolean getSortedShuffle();

  void setSortedShuffle(boolean sorted);

  @Description("JVM options of the worker processes of --executor=process and the worker pods of --executor=kubernetes, separated by spaces. The default "
      + "suits tasks that create short-lived objects per element (as Beam's DoFn runners do): a young "
      + "generation small enough to stay in the CPU caches, collected by the parallel collector.")
  @Default.String("-XX:+UseParallelGC -Xmn64m")
  String getWorkerJvmOptions();

  void setWorkerJvmOptions(String options);

  @Description("Namespace of the worker pods of --executor=kubernetes.")
  @Default.String("default")
  String getKubernetesNamespace();

  void setKubernetesNamespace(String namespace);

  @Description("Container image of the worker pods of --executor=kubernetes: the runner's jars in /app/lib and java on the PATH (k8s/worker-image).")
  @Default.String("dmerge/worker:0.1.0")
  String getWorkerImage();

  void setWorkerImage(String image);

  @Description("Node that the worker pods of --executor=kubernetes are pinned to when they are not spread (--workerPlacement): the driver's, as they then share its tmpfs regions. Default: $NODE_NAME, else this host's name.")
  @Default.InstanceFactory(NodeName.class)
  String getKubernetesNode();

  void setKubernetesNode(String node);

  @Description("Where the worker pods of --executor=kubernetes run: 'spread' over the nodes that run a Dmerge node agent "
      + "(k8s/agent-daemonset.yaml), each worker keeping its regions on its own node and reading other nodes' through their agents; "
      + "'pin' all on --kubernetesNode, sharing the driver's tmpfs; 'auto' spreads if an agent is ready in --kubernetesNamespace, else pins.")
  @Default.String("auto")
  String getWorkerPlacement();

  void setWorkerPlacement(String placement);

  @Description("Host or address that worker pods connect back to the driver at. Default: this machine's address.")
  @Default.InstanceFactory(LocalAddress.class)
  String getDriverHost();

  void setDriverHost(String host);

  @Description("Seconds a new worker pod of --executor=kubernetes may take to be scheduled, pull its image, start and connect to the driver.")
  @Default.Integer(300)
  int getWorkerStartTimeoutSeconds();

  void setWorkerStartTimeoutSeconds(int seconds);

  /** The number of cores. */
  class AvailableProcessors implements DefaultValueFactory<Integer> {
    @Override
    public Integer create(PipelineOptions options) {
      return Runtime.getRuntime().availableProcessors();
    }
  }

  /** {@code java.io.tmpdir/dmerge-spill}. */
  class DefaultSpillDirectory implements DefaultValueFactory<String> {
    @Override
    public String create(PipelineOptions options) {
      return Path.of(System.getProperty("java.io.tmpdir"), "dmerge-spill").toString();
    }
  }

  /** $NODE_NAME (set from the downward API in a pod), else this host's name. */
  class NodeName implements DefaultValueFactory<String> {
    @Override
    public String create(PipelineOptions options) {
      String node = System.getenv("NODE_NAME");
      return node == null || node.isBlank() ? ShmConfig.localNode() : node;
    }
  }

  /** This machine's address, as its own host name resolves. */
  class LocalAddress implements DefaultValueFactory<String> {
    @Override
    public String create(PipelineOptions options) {
      try {
        return InetAddress.getLocalHost().getHostAddress();
      } catch (UnknownHostException e) {
        return InetAddress.getLoopbackAddress().getHostAddress();
      }
    }
  }

  /** A quarter of physical memory. */
  class QuarterOfMemory implements DefaultValueFactory<Long> {
    @Override
    public Long create(PipelineOptions options) {
      var os = ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof com.sun.management.OperatingSystemMXBean) {
        return ((com.sun.management.OperatingSystemMXBean) os).getTotalMemorySize() / 4;
      }
      return 4L << 30;
    }
  }
}
