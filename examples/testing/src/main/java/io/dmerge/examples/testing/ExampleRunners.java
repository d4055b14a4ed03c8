package io.dmerge.examples.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The runners the example tests run on, shared by the example modules' tests.
 *
 * <p>Each variant is a name and the runner arguments prepended to the example's own arguments. The
 * system property {@code dmerge.examples.runners} selects variants by name (comma-separated, or
 * {@code all}); the default is every variant: the DirectRunner and DmergeRunner on both local executors. For example:
 *
 * <pre>
 * mvn -pl examples/wordcount test -Ddmerge.examples.runners=direct,dmerge,dmerge-process
 * </pre>
 *
 * Adding a runner is one line in {@link #VARIANTS}. An unknown name is taken literally as
 * space-separated arguments, e.g. {@code -Ddmerge.examples.runners="--runner=DmergeRunner
 * --parallelism=2"}.
 */
public final class ExampleRunners {
  public static final String PROPERTY = "dmerge.examples.runners";
  public static final String DEFAULT = "direct,dmerge,dmerge-process";

  /** Known variants: name -> runner arguments. */
  public static final Map<String, String[]> VARIANTS = new LinkedHashMap<>();

  static {
    VARIANTS.put("direct", new String[] {"--runner=DirectRunner"});
    VARIANTS.put("dmerge", new String[] {"--runner=DmergeRunner"});
    VARIANTS.put("dmerge-process", new String[] {"--runner=DmergeRunner", "--executor=process"});
  }

  private ExampleRunners() {}

  /** The selected variants as JUnit arguments {@code (String name, String[] runnerArgs)}. */
  public static Stream<Arguments> selected() {
    String spec = System.getProperty(PROPERTY, DEFAULT).trim();
    if (spec.isEmpty()) {
      spec = DEFAULT;
    }
    List<Arguments> out = new ArrayList<>();
    if (spec.equals("all")) {
      VARIANTS.forEach((name, args) -> out.add(Arguments.of(name, args)));
      return out.stream();
    }
    for (String name : spec.split(",")) {
      name = name.trim();
      if (name.isEmpty()) {
        continue;
      }
      String[] args = VARIANTS.get(name);
      out.add(Arguments.of(name, args != null ? args : name.split("\\s+")));
    }
    return out.stream();
  }

  /** {@code runnerArgs} followed by {@code exampleArgs}. */
  public static String[] args(String[] runnerArgs, String... exampleArgs) {
    String[] all = Arrays.copyOf(runnerArgs, runnerArgs.length + exampleArgs.length);
    System.arraycopy(exampleArgs, 0, all, runnerArgs.length, exampleArgs.length);
    return all;
  }
}
