package io.dmerge.shuffle.kmod;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cross-process register/rmap round trip through the kernel module ({@link KmodRoundTrip}).
 * It needs {@code /dev/dmerge}, which exists only where the module is loaded: on the CI host
 * (no module support) it is skipped; {@code make -C kmod qemu-test} runs it in the QEMU guest
 * through {@link KmodGuestMain}.
 */
class KmodRoundTripTest {

  @Test
  void registerAndRmapAcrossProcessesThroughTheModule() throws Exception {
    assumeTrue(Files.exists(DmergeDevice.DEFAULT_PATH),
        DmergeDevice.DEFAULT_PATH + " does not exist: the dmerge kernel module is not loaded here (the host "
            + "cannot load modules); this round trip runs in the QEMU guest of `make -C kmod qemu-test`");
    List<KmodRoundTrip.Check> checks = new ArrayList<>();
    KmodRoundTrip.run(DmergeDevice.DEFAULT_PATH, (name, ok, detail) -> checks.add(new KmodRoundTrip.Check(name, ok, detail)));
    List<KmodRoundTrip.Check> failed = checks.stream().filter(c -> !c.ok()).toList();
    assertTrue(checks.size() > 10 && failed.isEmpty(), "failed checks: " + failed + " of " + checks);
  }
}
