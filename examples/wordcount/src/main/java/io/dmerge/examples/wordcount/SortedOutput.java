package io.dmerge.examples.wordcount;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Reads all shards of a TextIO output prefix from the local file system and sorts their lines.
 *
 * <p>The done-criterion for the examples is byte-identical <em>sorted</em> output across runners
 * (shard count and line order inside shards are runner-specific). Usage:
 *
 * <pre>
 * java ... io.dmerge.examples.wordcount.SortedOutput target/wordcount/out sorted.txt
 * </pre>
 *
 * The second argument is optional; without it the sorted lines go to stdout.
 */
public final class SortedOutput {
  private SortedOutput() {}

  /** The shard files of {@code outputPrefix} ({@code <prefix>-SSSSS-of-NNNNN}, or the file itself). */
  public static List<Path> shards(String outputPrefix) {
    Path prefix = Paths.get(outputPrefix).toAbsolutePath();
    Path dir = prefix.getParent();
    String base = prefix.getFileName().toString();
    List<Path> files = new ArrayList<>();
    if (Files.isRegularFile(prefix)) {
      files.add(prefix);
    }
    java.util.regex.Pattern shard =
        java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(base) + "-\\d+-of-\\d+");
    if (Files.isDirectory(dir)) {
      try (DirectoryStream<Path> ds =
          Files.newDirectoryStream(dir, f -> shard.matcher(f.getFileName().toString()).matches())) {
        ds.forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    Collections.sort(files);
    return files;
  }

  /** All lines of all shards of {@code outputPrefix}, sorted by {@link String#compareTo}. */
  public static List<String> readSorted(String outputPrefix) {
    List<String> lines = new ArrayList<>();
    for (Path p : shards(outputPrefix)) {
      try {
        lines.addAll(Files.readAllLines(p, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    Collections.sort(lines);
    return lines;
  }

  /** Writes the sorted lines of {@code outputPrefix} to {@code target}, one per line, '\n'-terminated. */
  public static void writeSorted(String outputPrefix, Path target) throws IOException {
    List<String> lines = readSorted(outputPrefix);
    if (target.toAbsolutePath().getParent() != null) {
      Files.createDirectories(target.toAbsolutePath().getParent());
    }
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l).append('\n');
    }
    Files.write(target, sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: SortedOutput <outputPrefix> [sortedFile]");
      System.exit(2);
    }
    if (args.length == 2) {
      writeSorted(args[0], Paths.get(args[1]));
    } else {
      for (String l : readSorted(args[0])) {
        System.out.println(l);
      }
    }
  }
}
