package io.dmerge.examples.finra;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.DefaultCoder;

/**
 * A customer account as fetched from the portfolio system: start-of-day cash and positions plus
 * the day's trades. Positions are shares by symbol (negative = short). Cash is in cents (negative =
 * debit balance, i.e. money borrowed from the broker in a margin account).
 */
@DefaultCoder(Coders.AccountCoder.class)
public final class Account implements Serializable {
  public enum Type {
    CASH,
    MARGIN
  }

  public final String accountId;
  public final String ownerId;
  public final Type type;
  public final long startCashCents;
  public final TreeMap<String, Long> startPositions;
  public final List<Trade> trades;

  public Account(
      String accountId,
      String ownerId,
      Type type,
      long startCashCents,
      Map<String, Long> startPositions,
      List<Trade> trades) {
    this.accountId = accountId;
    this.ownerId = ownerId;
    this.type = type;
    this.startCashCents = startCashCents;
    this.startPositions = new TreeMap<>(startPositions);
    this.trades = Collections.unmodifiableList(new ArrayList<>(trades));
  }

  /** End-of-day positions (start positions plus trades); flat positions are dropped. */
  public TreeMap<String, Long> endPositions() {
    TreeMap<String, Long> pos = new TreeMap<>(startPositions);
    for (Trade t : trades) {
      pos.merge(t.symbol, t.signedQuantity(), Long::sum);
    }
    pos.values().removeIf(q -> q == 0);
    return pos;
  }

  /** End-of-day cash: buys pay, sells receive. */
  public long endCashCents() {
    long cash = startCashCents;
    for (Trade t : trades) {
      cash -= t.signedQuantity() * t.priceCents;
    }
    return cash;
  }

  @Override
  public String toString() {
    return accountId + "(" + type + ", owner " + ownerId + ", cash " + Money.format(startCashCents)
        + ", " + startPositions + ", " + trades.size() + " trades)";
  }
}
