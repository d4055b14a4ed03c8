package io.dmerge.examples.finra;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The audit rules, as plain functions (the pipeline applies each one in its own parallel branch).
 * Every finding is one report line {@code RULE|entity|symbol|detail}; money is in dollars with two
 * decimals, computed exactly in integer cents.
 */
public final class AuditRules {
  public static final String MARGIN = "MARGIN_4210";
  public static final String CONCENTRATION = "CONCENTRATION";
  public static final String WASH = "WASH_TRADE";
  public static final String OFF_MARKET = "OFF_MARKET_PRICE";
  public static final String NO_MARKET_DATA = "NO_MARKET_DATA";

  /** Accounts below this long market value are not checked for concentration. */
  public static final long CONCENTRATION_MIN_LMV_CENTS = 1_000_000; // $10,000
  /** A trade priced more than this many percent outside the day's range is off-market. */
  public static final int OFF_MARKET_TOLERANCE_PCT = 1;
  /** Wash-trade legs must be priced within this many basis points of each other. */
  public static final int WASH_PRICE_BPS = 50;

  private AuditRules() {}

  static String line(String rule, String entity, String symbol, String detail) {
    return rule + "|" + entity + "|" + symbol + "|" + detail;
  }

  /**
   * Maintenance margin in the spirit of FINRA Rule 4210(c), on end-of-day positions at the close:
   * 25% of the long market value; for each short position, the greater of $5.00/share and 30% of its
   * market value if it trades at $5 or more, otherwise the greater of $2.50/share and 100%. A margin
   * account whose equity (cash + long MV - short MV) is below the requirement gets a margin call
   * for the deficiency.
   */
  public static List<String> margin(Account a, Map<String, MarketStats> market) {
    List<String> out = new ArrayList<>();
    if (a.type != Account.Type.MARGIN) {
      return out;
    }
    long longMv = 0;
    long shortMv = 0;
    long requirement = 0;
    for (Map.Entry<String, Long> e : a.endPositions().entrySet()) {
      MarketStats m = market.get(e.getKey());
      if (m == null) {
        continue; // reported by NO_MARKET_DATA
      }
      long qty = e.getValue();
      long price = m.closeCents;
      long mv = Math.abs(qty) * price;
      if (qty > 0) {
        longMv += mv;
        requirement += Money.percent(mv, 25);
      } else {
        shortMv += mv;
        requirement +=
            price >= 500
                ? Math.max(500 * -qty, Money.percent(mv, 30))
                : Math.max(250 * -qty, mv);
      }
    }
    long equity = a.endCashCents() + longMv - shortMv;
    if (equity < requirement) {
      out.add(
          line(
              MARGIN,
              a.accountId,
              "-",
              "equity=" + Money.format(equity) + " requirement=" + Money.format(requirement)
                  + " call=" + Money.format(requirement - equity) + " long=" + Money.format(longMv)
                  + " short=" + Money.format(shortMv)));
    }
    return out;
  }

  /**
   * Position concentration: in an account with a long market value of at least $10,000, a single
   * long position worth more than {@code limitPct} percent of it.
   */
  public static List<String> concentration(
      Account a, Map<String, MarketStats> market, int limitPct) {
    List<String> out = new ArrayList<>();
    long longMv = 0;
    List<String> symbols = new ArrayList<>();
    List<Long> values = new ArrayList<>();
    for (Map.Entry<String, Long> e : a.endPositions().entrySet()) {
      MarketStats m = market.get(e.getKey());
      if (m == null || e.getValue() <= 0) {
        continue;
      }
      long mv = e.getValue() * m.closeCents;
      longMv += mv;
      symbols.add(e.getKey());
      values.add(mv);
    }
    if (longMv < CONCENTRATION_MIN_LMV_CENTS) {
      return out;
    }
    for (int k = 0; k < symbols.size(); k++) {
      long mv = values.get(k);
      if (mv * 100 > longMv * limitPct) {
        long permille = mv * 1000 / longMv;
        out.add(
            line(
                CONCENTRATION,
                a.accountId,
                symbols.get(k),
                "value=" + Money.format(mv) + " share=" + permille / 10 + "." + permille % 10
                    + "% limit=" + limitPct + "% long=" + Money.format(longMv)));
      }
    }
    return out;
  }

  /**
   * Off-market prices: a trade more than 1% above the day's high or below the day's low; and trades
   * in symbols without any market data.
   */
  public static List<String> offMarket(Account a, Map<String, MarketStats> market) {
    List<String> out = new ArrayList<>();
    for (Trade t : a.trades) {
      MarketStats m = market.get(t.symbol);
      if (m == null) {
        out.add(line(NO_MARKET_DATA, a.accountId, t.symbol, "trade=" + t.tradeId));
        continue;
      }
      boolean above = t.priceCents * 100 > m.highCents * (100 + OFF_MARKET_TOLERANCE_PCT);
      boolean below = t.priceCents * 100 < m.lowCents * (100 - OFF_MARKET_TOLERANCE_PCT);
      if (above || below) {
        out.add(
            line(
                OFF_MARKET,
                a.accountId,
                t.symbol,
                "trade=" + t.tradeId + " price=" + Money.format(t.priceCents) + " range=["
                    + Money.format(m.lowCents) + "," + Money.format(m.highCents) + "]"));
      }
    }
    return out;
  }

  /**
   * Wash trades of one beneficial owner in one symbol (across all the owner's accounts): a buy and
   * a sell of the same quantity, at most {@code windowSec} seconds apart, priced within 0.5% of each
   * other. Trades are scanned in (time, tradeId) order; each trade is matched at most once, with the
   * earliest eligible opposite trade.
   */
  public static List<String> washTrades(
      String ownerId, String symbol, Iterable<Trade> trades, int windowSec) {
    List<Trade> sorted = new ArrayList<>();
    trades.forEach(sorted::add);
    sorted.sort(Comparator.<Trade>comparingInt(t -> t.timeSec).thenComparing(t -> t.tradeId));
    boolean[] used = new boolean[sorted.size()];
    List<String> out = new ArrayList<>();
    for (int j = 0; j < sorted.size(); j++) {
      Trade b = sorted.get(j);
      for (int i = 0; i < j && !used[j]; i++) {
        Trade a = sorted.get(i);
        if (used[i]
            || a.side == b.side
            || a.quantity != b.quantity
            || b.timeSec - a.timeSec > windowSec
            || Math.abs(a.priceCents - b.priceCents) * 10_000
                > Math.min(a.priceCents, b.priceCents) * WASH_PRICE_BPS) {
          continue;
        }
        used[i] = true;
        used[j] = true;
        Trade buy = a.side == Trade.Side.BUY ? a : b;
        Trade sell = a.side == Trade.Side.BUY ? b : a;
        out.add(
            line(
                WASH,
                ownerId,
                symbol,
                "buy=" + buy.tradeId + "@" + Money.format(buy.priceCents) + " sell=" + sell.tradeId
                    + "@" + Money.format(sell.priceCents) + " qty=" + a.quantity + " dt="
                    + (b.timeSec - a.timeSec) + "s"));
      }
    }
    return out;
  }
}
