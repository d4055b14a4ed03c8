package io.dmerge.examples.finra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/** Compact deterministic coders for the high-volume element types. */
public final class Coders {
  private Coders() {}

  private static final StringUtf8Coder STR = StringUtf8Coder.of();
  private static final VarLongCoder LONG = VarLongCoder.of();
  private static final VarIntCoder INT = VarIntCoder.of();

  /** Coder of {@link Quote}. */
  public static final class QuoteCoder extends AtomicCoder<Quote> {
    private static final QuoteCoder INSTANCE = new QuoteCoder();

    public static QuoteCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Quote q, OutputStream out) throws IOException {
      LONG.encode(q.seq, out);
      STR.encode(q.symbol, out);
      INT.encode(q.timeSec, out);
      LONG.encode(q.bidCents, out);
      LONG.encode(q.askCents, out);
      LONG.encode(q.lastCents, out);
      LONG.encode(q.volume, out);
    }

    @Override
    public Quote decode(InputStream in) throws IOException {
      return new Quote(
          LONG.decode(in),
          STR.decode(in),
          INT.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** Coder of {@link Trade}. */
  public static final class TradeCoder extends AtomicCoder<Trade> {
    private static final TradeCoder INSTANCE = new TradeCoder();

    public static TradeCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Trade t, OutputStream out) throws IOException {
      STR.encode(t.tradeId, out);
      STR.encode(t.accountId, out);
      STR.encode(t.ownerId, out);
      STR.encode(t.symbol, out);
      INT.encode(t.side.ordinal(), out);
      LONG.encode(t.quantity, out);
      LONG.encode(t.priceCents, out);
      INT.encode(t.timeSec, out);
    }

    @Override
    public Trade decode(InputStream in) throws IOException {
      return new Trade(
          STR.decode(in),
          STR.decode(in),
          STR.decode(in),
          STR.decode(in),
          Trade.Side.values()[INT.decode(in)],
          LONG.decode(in),
          LONG.decode(in),
          INT.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** Coder of {@link Account}. */
  public static final class AccountCoder extends AtomicCoder<Account> {
    private static final AccountCoder INSTANCE = new AccountCoder();

    public static AccountCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Account a, OutputStream out) throws IOException {
      STR.encode(a.accountId, out);
      STR.encode(a.ownerId, out);
      INT.encode(a.type.ordinal(), out);
      LONG.encode(a.startCashCents, out);
      INT.encode(a.startPositions.size(), out);
      for (java.util.Map.Entry<String, Long> e : a.startPositions.entrySet()) {
        STR.encode(e.getKey(), out);
        LONG.encode(e.getValue(), out);
      }
      INT.encode(a.trades.size(), out);
      for (Trade t : a.trades) {
        TradeCoder.of().encode(t, out);
      }
    }

    @Override
    public Account decode(InputStream in) throws IOException {
      String id = STR.decode(in);
      String owner = STR.decode(in);
      Account.Type type = Account.Type.values()[INT.decode(in)];
      long cash = LONG.decode(in);
      int np = INT.decode(in);
      java.util.TreeMap<String, Long> pos = new java.util.TreeMap<>();
      for (int k = 0; k < np; k++) {
        pos.put(STR.decode(in), LONG.decode(in));
      }
      int nt = INT.decode(in);
      java.util.List<Trade> trades = new java.util.ArrayList<>(nt);
      for (int k = 0; k < nt; k++) {
        trades.add(TradeCoder.of().decode(in));
      }
      return new Account(id, owner, type, cash, pos, trades);
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** Coder of {@link MarketStats}. */
  public static final class MarketStatsCoder extends AtomicCoder<MarketStats> {
    private static final MarketStatsCoder INSTANCE = new MarketStatsCoder();

    public static MarketStatsCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(MarketStats m, OutputStream out) throws IOException {
      STR.encode(m.symbol, out);
      LONG.encode(m.quotes, out);
      LONG.encode(m.volume, out);
      LONG.encode(m.highCents, out);
      LONG.encode(m.lowCents, out);
      LONG.encode(m.vwapCents, out);
      LONG.encode(m.closeCents, out);
    }

    @Override
    public MarketStats decode(InputStream in) throws IOException {
      return new MarketStats(
          STR.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
