package io.dmerge.examples.finra;

import java.io.Serializable;
import java.util.Objects;
import org.apache.beam.sdk.coders.DefaultCoder;

/** One execution of the audit day. Prices in cents, time in seconds since midnight. */
@DefaultCoder(Coders.TradeCoder.class)
public final class Trade implements Serializable {
  public enum Side {
    BUY,
    SELL
  }

  public final String tradeId;
  public final String accountId;
  public final String ownerId;
  public final String symbol;
  public final Side side;
  public final long quantity;
  public final long priceCents;
  public final int timeSec;

  public Trade(
      String tradeId,
      String accountId,
      String ownerId,
      String symbol,
      Side side,
      long quantity,
      long priceCents,
      int timeSec) {
    this.tradeId = tradeId;
    this.accountId = accountId;
    this.ownerId = ownerId;
    this.symbol = symbol;
    this.side = side;
    this.quantity = quantity;
    this.priceCents = priceCents;
    this.timeSec = timeSec;
  }

  /** Signed share delta of the position: +quantity for a buy, -quantity for a sell. */
  public long signedQuantity() {
    return side == Side.BUY ? quantity : -quantity;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Trade)) {
      return false;
    }
    Trade t = (Trade) o;
    return tradeId.equals(t.tradeId)
        && accountId.equals(t.accountId)
        && ownerId.equals(t.ownerId)
        && symbol.equals(t.symbol)
        && side == t.side
        && quantity == t.quantity
        && priceCents == t.priceCents
        && timeSec == t.timeSec;
  }

  @Override
  public int hashCode() {
    return Objects.hash(tradeId, accountId, symbol, side, quantity, priceCents, timeSec);
  }

  @Override
  public String toString() {
    return tradeId + " " + side + " " + quantity + " " + symbol + " @" + Money.format(priceCents)
        + " t=" + timeSec;
  }
}
