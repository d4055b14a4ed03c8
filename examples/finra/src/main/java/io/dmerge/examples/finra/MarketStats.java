package io.dmerge.examples.finra;

import java.io.Serializable;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;

/** Daily summary of one symbol's market data: what the audit rules see (as a side input). */
@DefaultCoder(Coders.MarketStatsCoder.class)
public final class MarketStats implements Serializable {
  public final String symbol;
  public final long quotes;
  public final long volume;
  public final long highCents;
  public final long lowCents;
  public final long vwapCents;
  /** Last trade price of the latest quote (max of (time, seq)). */
  public final long closeCents;

  public MarketStats(
      String symbol, long quotes, long volume, long highCents, long lowCents, long vwapCents,
      long closeCents) {
    this.symbol = symbol;
    this.quotes = quotes;
    this.volume = volume;
    this.highCents = highCents;
    this.lowCents = lowCents;
    this.vwapCents = vwapCents;
    this.closeCents = closeCents;
  }

  @Override
  public String toString() {
    return symbol + " close=" + Money.format(closeCents) + " range=[" + Money.format(lowCents) + ","
        + Money.format(highCents) + "] vwap=" + Money.format(vwapCents) + " quotes=" + quotes
        + " volume=" + volume;
  }

  /** Accumulator of {@link StatsFn}: exact integer sums, so merge order does not matter. */
  @DefaultCoder(SerializableCoder.class)
  public static final class Acc implements Serializable {
    String symbol;
    long quotes;
    long volume;
    long priceVolume;
    long high = Long.MIN_VALUE;
    long low = Long.MAX_VALUE;
    int closeTime = Integer.MIN_VALUE;
    long closeSeq = Long.MIN_VALUE;
    long close;

    void add(Quote q) {
      symbol = q.symbol;
      quotes++;
      volume += q.volume;
      priceVolume += q.lastCents * q.volume;
      high = Math.max(high, q.lastCents);
      low = Math.min(low, q.lastCents);
      if (q.timeSec > closeTime || (q.timeSec == closeTime && q.seq > closeSeq)) {
        closeTime = q.timeSec;
        closeSeq = q.seq;
        close = q.lastCents;
      }
    }

    void merge(Acc o) {
      if (o.quotes == 0) {
        return;
      }
      symbol = o.symbol;
      quotes += o.quotes;
      volume += o.volume;
      priceVolume += o.priceVolume;
      high = Math.max(high, o.high);
      low = Math.min(low, o.low);
      if (o.closeTime > closeTime || (o.closeTime == closeTime && o.closeSeq > closeSeq)) {
        closeTime = o.closeTime;
        closeSeq = o.closeSeq;
        close = o.close;
      }
    }
  }

  /** Deterministic coder of {@link Acc}. */
  static final class AccCoder extends org.apache.beam.sdk.coders.AtomicCoder<Acc> {
    private static final org.apache.beam.sdk.coders.VarLongCoder L =
        org.apache.beam.sdk.coders.VarLongCoder.of();

    @Override
    public void encode(Acc a, java.io.OutputStream out) throws java.io.IOException {
      org.apache.beam.sdk.coders.StringUtf8Coder.of().encode(a.symbol == null ? "" : a.symbol, out);
      for (long v :
          new long[] {a.quotes, a.volume, a.priceVolume, a.high, a.low, a.closeTime, a.closeSeq, a.close}) {
        L.encode(v, out);
      }
    }

    @Override
    public Acc decode(java.io.InputStream in) throws java.io.IOException {
      Acc a = new Acc();
      String sym = org.apache.beam.sdk.coders.StringUtf8Coder.of().decode(in);
      a.symbol = sym.isEmpty() ? null : sym;
      a.quotes = L.decode(in);
      a.volume = L.decode(in);
      a.priceVolume = L.decode(in);
      a.high = L.decode(in);
      a.low = L.decode(in);
      a.closeTime = (int) (long) L.decode(in);
      a.closeSeq = L.decode(in);
      a.close = L.decode(in);
      return a;
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** Combines a symbol's quotes into its {@link MarketStats}. */
  public static final class StatsFn extends Combine.CombineFn<Quote, Acc, MarketStats> {
    @Override
    public org.apache.beam.sdk.coders.Coder<Acc> getAccumulatorCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry,
        org.apache.beam.sdk.coders.Coder<Quote> inputCoder) {
      return new AccCoder();
    }

    @Override
    public Acc createAccumulator() {
      return new Acc();
    }

    @Override
    public Acc addInput(Acc acc, Quote q) {
      acc.add(q);
      return acc;
    }

    @Override
    public Acc mergeAccumulators(Iterable<Acc> accs) {
      Acc out = new Acc();
      for (Acc a : accs) {
        out.merge(a);
      }
      return out;
    }

    @Override
    public MarketStats extractOutput(Acc acc) {
      long vwap = acc.volume == 0 ? 0 : (acc.priceVolume + acc.volume / 2) / acc.volume;
      return new MarketStats(acc.symbol, acc.quotes, acc.volume, acc.high, acc.low, vwap, acc.close);
    }
  }
}
