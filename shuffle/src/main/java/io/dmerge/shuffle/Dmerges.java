package io.dmerge.shuffle;

import io.dmerge.shuffle.kmod.KmodDmerge;
import io.dmerge.shuffle.kmod.KmodException;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code /dev/dmerge}).
 */
public final class Dmerges {
  private static final Logger LOG = LoggerFactory.getLogger(Dmerges.class);

  public static final String TRANSPORT_PROPERTY = "dmerge.transport";
  public static final String DEVICE_PROPERTY = "dmerge.kmod.device";
  public static final Path DEFAULT_DEVICE = Path.of("/dev/dmerge");

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
    return open(config, configuredTransport(), configuredDevice());
  }

  /** Joins a job's region space from a worker; the counterpart of {@link ShmDmerge#attach}. */
  public static Dmerge attach(ShmConfig config) {
    return attach(config, configuredTransport(), configuredDevice());
  }

  public static Dmerge open(ShmConfig config, Transport transport, Path device) {
    return choose(config, transport, device, true);
  }

  public static Dmerge attach(ShmConfig config, Transport transport, Path device) {
    return choose(config, transport, device, false);
  }

  /** "kmod" or "shm": the transport behind {@code dmerge}. */
  public static String transportName(Dmerge dmerge) {
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

  private static Transport configuredTransport() {
    return Transport.parse(System.getProperty(TRANSPORT_PROPERTY, "auto"));
  }

  private static Path configuredDevice() {
    String d = System.getProperty(DEVICE_PROPERTY);
    return d == null || d.isBlank() ? DEFAULT_DEVICE : Path.of(d);
  }
}
