package io.dmerge.examples.finra;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Deterministic "portfolio system": account {@code i} is a pure function of (seed, i), so accounts
 * can be fetched in parallel. Owners hold two accounts each ({@code i/2}).
 *
 * <p>Besides ordinary activity the generator plants audit findings at fixed rates: thinly
 * collateralized margin accounts, concentrated positions, wash trades inside one account (trade id
 * suffix {@code W}), wash trades across the two accounts of an owner (suffix {@code X}), and trades
 * far off the market (suffix {@code O}). The rules do not look at the suffixes; tests do.
 */
public final class Portfolio {
  private Portfolio() {}

  public static String accountId(int i) {
    return String.format("A%06d", i);
  }

  public static String ownerId(int i) {
    return String.format("O%06d", i / 2);
  }

  public static Account account(long seed, int symbols, int i) {
    SplittableRandom rnd = new SplittableRandom(MarketData.mix(seed * 31 + i));
    String acct = accountId(i);
    String owner = ownerId(i);
    boolean margin = rnd.nextDouble() < 0.6;

    // Start-of-day holdings: 8..20 distinct symbols worth $2k..$20k each at the previous close.
    TreeMap<String, Long> positions = new TreeMap<>();
    int holdings = Math.min(symbols, 8 + rnd.nextInt(13));
    List<Integer> held = new ArrayList<>();
    long longValue = 0;
    while (held.size() < holdings) {
      int s = rnd.nextInt(symbols);
      if (held.contains(s)) {
        continue;
      }
      held.add(s);
      long price = MarketData.basePriceCents(seed, s);
      long value = 200_000 + (long) (rnd.nextDouble() * 1_800_000);
      long qty = Math.max(1, value / price);
      if (margin && rnd.nextDouble() < 0.05) {
        qty = -qty; // short
      } else {
        longValue += qty * price;
      }
      positions.put(MarketData.ticker(s), qty);
    }
    if (rnd.nextDouble() < 0.06) { // concentration: one long holding ten times larger
      String sym = MarketData.ticker(held.get(0));
      positions.put(sym, Math.abs(positions.get(sym)) * 10);
    }
    long cash =
        margin
            ? Math.round(longValue * (-0.8 + rnd.nextDouble() * 1.2)) // debit balance allowed
            : 100_000 + (long) (rnd.nextDouble() * 1_900_000);

    // The day's trades.
    List<Trade> trades = new ArrayList<>();
    int n = rnd.nextInt(16);
    for (int k = 0; k < n; k++) {
      int s = rnd.nextDouble() < 0.7 ? held.get(rnd.nextInt(held.size())) : rnd.nextInt(symbols);
      int t = MarketData.OPEN + rnd.nextInt(MarketData.DAY);
      Trade.Side side = rnd.nextBoolean() ? Trade.Side.BUY : Trade.Side.SELL;
      long qty = Math.max(1, (100_000 + rnd.nextInt(1_900_000)) / MarketData.basePriceCents(seed, s));
      double dev = (rnd.nextDouble() - 0.5) * 0.002;
      String id = String.format("%s-%03d", acct, k);
      if (rnd.nextDouble() < 0.01) {
        dev = (rnd.nextBoolean() ? 1 : -1) * (0.03 + rnd.nextDouble() * 0.05);
        id += "O";
      }
      long price = Math.max(1, Math.round(MarketData.midCents(seed, s, t) * (1 + dev)));
      trades.add(new Trade(id, acct, owner, MarketData.ticker(s), side, qty, price, t));
    }
    if (rnd.nextDouble() < 0.04) { // wash trade inside the account
      int s = held.get(rnd.nextInt(held.size()));
      int t = MarketData.OPEN + rnd.nextInt(MarketData.DAY - 600);
      int dt = 30 + rnd.nextInt(210);
      long qty = Math.max(1, (200_000 + rnd.nextInt(1_800_000)) / MarketData.basePriceCents(seed, s));
      long p1 = MarketData.midCents(seed, s, t);
      long p2 = Math.max(1, Math.round(p1 * (1 + (rnd.nextDouble() - 0.5) * 0.002)));
      String sym = MarketData.ticker(s);
      trades.add(new Trade(acct + "-W1", acct, owner, sym, Trade.Side.BUY, qty, p1, t));
      trades.add(new Trade(acct + "-W2", acct, owner, sym, Trade.Side.SELL, qty, p2, t + dt));
    }
    // Wash trade across the owner's two accounts: decided by the owner's own random stream.
    SplittableRandom own = new SplittableRandom(MarketData.mix(seed * 37 + i / 2));
    if (own.nextDouble() < 0.05 && symbols > 0) {
      int s = own.nextInt(symbols);
      int t = MarketData.OPEN + own.nextInt(MarketData.DAY - 600);
      int dt = 30 + own.nextInt(210);
      long qty = Math.max(1, (200_000 + own.nextInt(1_800_000)) / MarketData.basePriceCents(seed, s));
      long p = MarketData.midCents(seed, s, t);
      String sym = MarketData.ticker(s);
      if (i % 2 == 0) {
        trades.add(new Trade(acct + "-X1", acct, owner, sym, Trade.Side.BUY, qty, p, t));
      } else {
        trades.add(new Trade(acct + "-X2", acct, owner, sym, Trade.Side.SELL, qty, p, t + dt));
      }
    }
    return new Account(
        acct, owner, margin ? Account.Type.MARGIN : Account.Type.CASH, cash, positions, trades);
  }
}
