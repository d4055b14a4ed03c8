package io.dmerge.examples.finra;

import java.io.Serializable;
import org.apache.beam.sdk.coders.DefaultCoder;

/** One market-data CSV row: {@code seq,symbol,time,bid,ask,last,volume} (cents, seconds). */
@DefaultCoder(Coders.QuoteCoder.class)
public final class Quote implements Serializable {
  public static final String HEADER = "seq,symbol,time,bid,ask,last,volume";

  public final long seq;
  public final String symbol;
  public final int timeSec;
  public final long bidCents;
  public final long askCents;
  public final long lastCents;
  public final long volume;

  public Quote(
      long seq, String symbol, int timeSec, long bidCents, long askCents, long lastCents,
      long volume) {
    this.seq = seq;
    this.symbol = symbol;
    this.timeSec = timeSec;
    this.bidCents = bidCents;
    this.askCents = askCents;
    this.lastCents = lastCents;
    this.volume = volume;
  }

  /** Parses a CSV row; returns null for the header or a blank line. */
  public static Quote parse(String line) {
    if (line.isBlank() || line.startsWith("seq")) {
      return null;
    }
    String[] f = line.split(",", -1);
    if (f.length != 7) {
      throw new IllegalArgumentException("bad market-data row: " + line);
    }
    return new Quote(
        Long.parseLong(f[0]),
        f[1],
        Integer.parseInt(f[2]),
        Long.parseLong(f[3]),
        Long.parseLong(f[4]),
        Long.parseLong(f[5]),
        Long.parseLong(f[6]));
  }

  public String toCsv() {
    return seq + "," + symbol + "," + timeSec + "," + bidCents + "," + askCents + "," + lastCents
        + "," + volume;
  }
}
