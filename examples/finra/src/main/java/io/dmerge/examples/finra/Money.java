package io.dmerge.examples.finra;

/** Integer-cent money helpers (all audit arithmetic is exact, so results are runner-independent). */
public final class Money {
  private Money() {}

  /** {@code 123456 -> "1234.56"}, {@code -5 -> "-0.05"}. */
  public static String format(long cents) {
    String sign = cents < 0 ? "-" : "";
    long a = Math.abs(cents);
    return String.format("%s%d.%02d", sign, a / 100, a % 100);
  }

  /** {@code round(value * pct / 100)} for non-negative values, half up. */
  public static long percent(long value, long pct) {
    return (value * pct + 50) / 100;
  }
}
