package io.dmerge.bench.wordcount;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarizes the {@code jdk.ExecutionSample} events of a JFR recording: the methods with the most
 * samples inclusive (on the stack anywhere, counted once per sample) and exclusive (top frame).
 *
 * <pre>
 * JfrTop recording.jfr [prefix=io.dmerge.] [n=25]
 * </pre>
 *
 * Inclusive counts are given for methods whose class starts with {@code prefix}; exclusive counts
 * for all methods. Record with {@code -XX:FlightRecorderOptions:stackdepth=512} so deep Beam stacks
 * are not truncated before they reach the runner's frames.
 */
public final class JfrTop {
  private JfrTop() {}

  private static String name(RecordedMethod m) {
    return m.getType().getName() + "." + m.getName();
  }

  public static void main(String[] args) throws Exception {
    Path file = Paths.get(args[0]);
    String prefix = args.length > 1 ? args[1] : "io.dmerge.";
    int n = args.length > 2 ? Integer.parseInt(args[2]) : 25;
    Map<String, Long> inclusive = new HashMap<>();
    Map<String, Long> exclusive = new HashMap<>();
    Map<String, Long> threads = new HashMap<>();
    long samples = 0;
    long truncated = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      RecordedStackTrace st = e.getStackTrace();
      if (st == null) {
        continue;
      }
      samples++;
      if (st.isTruncated()) {
        truncated++;
      }
      var thread = e.getThread("sampledThread");
      String tname = thread == null ? "?" : thread.getJavaName();
      if (tname != null) {
        threads.merge(tname.replaceAll("\\d+", "N"), 1L, Long::sum);
      }
      List<RecordedFrame> frames = st.getFrames();
      if (!frames.isEmpty() && frames.get(0).getMethod() != null) {
        exclusive.merge(name(frames.get(0).getMethod()), 1L, Long::sum);
      }
      Set<String> seen = new HashSet<>();
      for (RecordedFrame f : frames) {
        if (f.getMethod() == null) {
          continue;
        }
        String m = name(f.getMethod());
        if (m.startsWith(prefix) && seen.add(m)) {
          inclusive.merge(m, 1L, Long::sum);
        }
      }
    }
    System.out.printf("%d execution samples (%d with truncated stacks)%n%n", samples, truncated);
    print("Sampled threads (digits replaced by N)", threads, samples, 10);
    print("Inclusive, methods of " + prefix + "*", inclusive, samples, n);
    print("Exclusive (top frame), all methods", exclusive, samples, n);
  }

  private static void print(String title, Map<String, Long> counts, long total, int n) {
    System.out.println("| " + title + " | samples | % |");
    System.out.println("|---|---:|---:|");
    List<Map.Entry<String, Long>> l = new ArrayList<>(counts.entrySet());
    l.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    for (Map.Entry<String, Long> e : l.subList(0, Math.min(n, l.size()))) {
      System.out.printf(
          "| `%s` | %d | %.1f |%n", e.getKey(), e.getValue(), 100.0 * e.getValue() / Math.max(1, total));
    }
    System.out.println();
  }
}
