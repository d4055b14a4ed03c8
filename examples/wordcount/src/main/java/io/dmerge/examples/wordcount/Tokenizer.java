package io.dmerge.examples.wordcount;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The word definition used by the word count.
 *
 * <p>A line is lower-cased ({@link Locale#ROOT}); a word is then a maximal match of {@code
 * [a-z]+('[a-z]+)*}: runs of ASCII letters, possibly joined by single inner apostrophes ({@code
 * don't}, {@code elizabeth's}). Everything else (digits, punctuation, leading/trailing quotes,
 * underscores used for italics, non-ASCII letters) separates words. The typographic apostrophe
 * U+2019 is treated like {@code '}.
 */
public final class Tokenizer {
  /** The word pattern, applied to the lower-cased line. */
  public static final Pattern WORD = Pattern.compile("[a-z]+(?:'[a-z]+)*");

  private Tokenizer() {}

  /** Calls {@code sink} for every word of {@code line}, in order. */
  public static void forEachWord(String line, Consumer<String> sink) {
    Matcher m = WORD.matcher(line.replace('\u2019', '\'').toLowerCase(Locale.ROOT));
    while (m.find()) {
      sink.accept(m.group());
    }
  }

  /** The words of {@code line}, in order. */
  public static List<String> words(String line) {
    List<String> out = new ArrayList<>();
    forEachWord(line, out::add);
    return out;
  }
}
