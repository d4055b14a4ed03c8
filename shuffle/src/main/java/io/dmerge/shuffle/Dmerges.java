package io.dmerge.shuffle;

import io.dmerge.shuffle.kmod.KmodDmerge;
import io.dmerge.shuffle.kmod.KmodException;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.remote.RemoteDmerge;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the Dmerge transport for a job on this node: the kernel module ({@link KmodDmerge}) when
 * {@code /dev/dmerge} exists and answers, else shared memory ({@link ShmDmerge}). Both keep the
 * job's regions in the same files, so every process of a job may use either.
 *
 * <p>System properties: {@value #TRANSPORT_PROPERTY} = {@code auto} (default), {@code kmod}
 * (the module or fail) or {@code shm}; {@value #DEVICE_PROPERTY} = the device (default
 * {@code /dev/dmerge}); {@value #REMOTE_NODES_PROPERTY} = the node directory, {@code
 * "nodeA=host:port,nodeB=host:port"}: when set, the transport is wrapped in a {@link RemoteDmerge}
 * that rmaps regions of other nodes through their node agents, with {@value
 * #REMOTE_TIMEOUT_PROPERTY} = milliseconds to connect and to wait for an agent's bytes (default
 * 30000).
 */
public final class Dmerges {
  private static final Logger LOG = LoggerFactory.getLogger(Dmerges.class);

  public static final String TRANSPORT_PROPERTY = "dmerge.transport";
  public static final String DEVICE_PROPERTY = "dmerge.kmod.device";
  public static final Path DEFAULT_DEVICE = Path.of("/dev/dmerge");
  public static final String REMOTE_NODES_PROPERTY = "dmerge.remote.nodes";
  public static final String REMOTE_TIMEOUT_PROPERTY = "dmerge.remote.timeoutMillis";

  /** Which transport to use. */
  public enum Transport {
    /** The module if its device exists and works, else shared memory. */
    AUTO,
    /** The module; fails if it cannot be used. */
    KMOD,
    /** Shared memory only. */
    SHM;

    static Transport parse(String value) {
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            TRANSPORT_PROPERTY + " must be auto, kmod or shm, got '" + value + "'", e);
      }
    }
  }

  private Dmerges() {}

  /** Opens a job's region space as its owner (the driver); the counterpart of {@link ShmDmerge#create}. */
  public static Dmerge open(ShmConfig config) {
    // Read first, so that a malformed value leaves nothing open.
    NodeDirectory nodes = configuredNodes();
    Duration timeout = remoteTimeout();
    return withRemote(config, nodes, timeout, open(config, configuredTransport(), configuredDevice()));
  }

  /** Joins a job's region space from a worker; the counterpart of {@link ShmDmerge#attach}. */
  public static Dmerge attach(ShmConfig config) {
    return attach(config, NodeDirectory.EMPTY);
  }

  /**
   * Joins a job's region space from a worker that rmaps other nodes' regions through the agents
   * in {@code nodes} (given by whoever runs the job), or when it is empty through those of
   * {@value #REMOTE_NODES_PROPERTY}.
   */
  public static Dmerge attach(ShmConfig config, NodeDirectory nodes) {
    // Read first, so that a malformed value leaves nothing open.
    NodeDirectory agents = nodes.isEmpty() ? configuredNodes() : nodes;
    Duration timeout = remoteTimeout();
    return withRemote(config, agents, timeout, attach(config, configuredTransport(), configuredDevice()));
  }

  public static Dmerge open(ShmConfig config, Transport transport, Path device) {
    return choose(config, transport, device, true);
  }

  public static Dmerge attach(ShmConfig config, Transport transport, Path device) {
    return choose(config, transport, device, false);
  }

  /** "kmod" or "shm" (with "+remote" if it rmaps other nodes' regions): the transport behind {@code dmerge}. */
  public static String transportName(Dmerge dmerge) {
    if (dmerge instanceof RemoteDmerge remote) {
      return transportName(remote.local()) + "+remote";
    }
    return dmerge instanceof KmodDmerge ? "kmod" : dmerge instanceof ShmDmerge ? "shm" : dmerge.getClass().getSimpleName();
  }

  private static Dmerge choose(ShmConfig config, Transport transport, Path device, boolean owner) {
    String role = owner ? "owner" : "worker";
    if (transport != Transport.SHM) {
      String why;
      if (!Files.exists(device)) {
        why = device + " does not exist (kernel module not loaded)";
      } else {
        try {
          KmodDmerge kmod = owner ? KmodDmerge.create(config, device) : KmodDmerge.attach(config, device);
          LOG.info("Dmerge transport for job {} ({}): kmod, kernel module at {}", config.jobId(), role, device);
          return kmod;
        } catch (KmodException | LinkageError e) {
          // LinkageError: JNA missing from the class path, or its native part cannot load.
          why = device + " is not usable: " + e;
          if (transport == Transport.KMOD) {
            throw new DmergeException("Dmerge transport kmod requested, but " + why, e);
          }
        }
      }
      if (transport == Transport.KMOD) {
        throw new DmergeException("Dmerge transport kmod requested, but " + why);
      }
      LOG.info("Dmerge transport for job {} ({}): shm, shared memory under {} ({})",
          config.jobId(), role, config.memoryRoot(), why);
    } else {
      LOG.info("Dmerge transport for job {} ({}): shm, shared memory under {} ({}=shm)",
          config.jobId(), role, config.memoryRoot(), TRANSPORT_PROPERTY);
    }
    return owner ? ShmDmerge.create(config) : ShmDmerge.attach(config);
  }

  /** {@code local}, wrapped in a {@link RemoteDmerge} if there are node agents to read through. */
  private static Dmerge withRemote(ShmConfig config, NodeDirectory nodes, Duration timeout, Dmerge local) {
    if (nodes.isEmpty()) {
      return local;
    }
    LOG.info("Dmerge remote rmap for job {}: node agents {}", config.jobId(), nodes);
    return new RemoteDmerge(local, config, nodes, timeout);
  }

  /** The configured node directory, {@link NodeDirectory#EMPTY} if there is none. */
  private static NodeDirectory configuredNodes() {
    String spec = System.getProperty(REMOTE_NODES_PROPERTY);
    if (spec == null || spec.isBlank()) {
      return NodeDirectory.EMPTY;
    }
    try {
      return NodeDirectory.parse(spec);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(REMOTE_NODES_PROPERTY + ": " + e.getMessage(), e);
    }
  }

  /** How long remote rmap, and a driver's hold on a node, wait for a node agent: {@value #REMOTE_TIMEOUT_PROPERTY}. */
  public static Duration remoteTimeout() {
    String ms = System.getProperty(REMOTE_TIMEOUT_PROPERTY, "30000");
    try {
      return Duration.ofMillis(Long.parseLong(ms.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(REMOTE_TIMEOUT_PROPERTY + " must be milliseconds, got '" + ms + "'", e);
    }
  }

  private static Transport configuredTransport() {
    return Transport.parse(System.getProperty(TRANSPORT_PROPERTY, "auto"));
  }

  private static Path configuredDevice() {
    String d = System.getProperty(DEVICE_PROPERTY);
    return d == null || d.isBlank() ? DEFAULT_DEVICE : Path.of(d);
  }
}
