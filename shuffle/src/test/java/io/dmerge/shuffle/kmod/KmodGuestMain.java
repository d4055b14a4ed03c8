package io.dmerge.shuffle.kmod;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link KmodRoundTrip} as a program, for the QEMU guest of {@code make -C kmod qemu-test}, where
 * there is no Maven: prints {@code transport: kmod}, one {@code PASS: name} / {@code FAIL: name:
 * detail} line per check (the harness counts them), and exits non-zero on any failure.
 *
 * <pre>
 * java -cp &lt;classes&gt; io.dmerge.shuffle.kmod.KmodGuestMain [device]      the driver
 * java -cp &lt;classes&gt; io.dmerge.shuffle.kmod.KmodGuestMain child ...      the worker it starts
 * </pre>
 */
public final class KmodGuestMain {
  private KmodGuestMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      String[] rest = new String[args.length - 1];
      System.arraycopy(args, 1, rest, 0, rest.length);
      System.exit(KmodRoundTrip.child(rest));
    }
    Path device = Path.of(args.length > 0 ? args[0] : "/dev/dmerge");
    if (!Files.exists(device)) {
      System.out.println("FAIL: java_kmod_device: " + device + " does not exist");
      System.exit(1);
    }
    long startupMillis = ProcessHandle.current().info().startInstant()
        .map(t -> System.currentTimeMillis() - t.toEpochMilli()).orElse(-1L);
    System.out.println("java_kmod_roundtrip: JVM up after " + startupMillis + " ms");
    int[] failed = {0};
    int[] passed = {0};
    long start = System.nanoTime();
    KmodRoundTrip.run(device, (name, ok, detail) -> {
      if (ok) {
        passed[0]++;
        System.out.println("PASS: " + name);
      } else {
        failed[0]++;
        System.out.println("FAIL: " + name + (detail.isEmpty() ? "" : ": " + detail));
      }
      System.out.flush();
    });
    System.out.printf("java kmod round trip: %d passed, %d failed, %.1f s%n",
        passed[0], failed[0], (System.nanoTime() - start) / 1e9);
    System.exit(failed[0] == 0 && passed[0] > 0 ? 0 : 1);
  }
}
