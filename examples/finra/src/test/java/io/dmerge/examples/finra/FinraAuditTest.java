package io.dmerge.examples.finra;

import io.dmerge.examples.testing.ExampleRunners;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FinraAuditTest {
  static final long SEED = 7;
  static final int ACCOUNTS = 150;
  static final int SYMBOLS = 40;
  static final double MARKET_MB = 0.25;

  @TempDir Path tmp;

  static Stream<Arguments> runners() {
    return ExampleRunners.selected();
  }

  // ---------------------------------------------------------------------------------------------
  // Independent reference: the whole audit in plain Java, written without the pipeline's helpers.
  // ---------------------------------------------------------------------------------------------

  /** symbol -> {low, high, close} over all quotes (close = last price at max (time, seq)). */
  static Map<String, long[]> referenceMarket() {
    long n = MarketData.quoteCount(MARKET_MB);
    Map<String, long[]> m = new HashMap<>(); // low, high, close, closeTime, closeSeq
    for (long j = 0; j < n; j++) {
      Quote q = Quote.parse(MarketData.quote(SEED, SYMBOLS, n, j).toCsv());
      long[] s = m.computeIfAbsent(q.symbol, k -> new long[] {Long.MAX_VALUE, 0, 0, -1, -1});
      s[0] = Math.min(s[0], q.lastCents);
      s[1] = Math.max(s[1], q.lastCents);
      if (q.timeSec > s[3] || (q.timeSec == s[3] && q.seq > s[4])) {
        s[2] = q.lastCents;
        s[3] = q.timeSec;
        s[4] = q.seq;
      }
    }
    return m;
  }

  static String usd(long cents) {
    return (cents < 0 ? "-" : "") + Math.abs(cents) / 100 + "." + String.format("%02d", Math.abs(cents) % 100);
  }

  static List<String> referenceReport(int limitPct, int windowSec) {
    Map<String, long[]> market = referenceMarket();
    List<String> report = new ArrayList<>();
    Map<String, List<Trade>> byOwnerSymbol = new TreeMap<>();
    for (int i = 0; i < ACCOUNTS; i++) {
      Account a = Portfolio.account(SEED, SYMBOLS, i);
      Map<String, Long> pos = new TreeMap<>(a.startPositions);
      long cash = a.startCashCents;
      for (Trade t : a.trades) {
        long q = t.side == Trade.Side.BUY ? t.quantity : -t.quantity;
        pos.put(t.symbol, pos.getOrDefault(t.symbol, 0L) + q);
        cash -= q * t.priceCents;
        byOwnerSymbol.computeIfAbsent(t.ownerId + "|" + t.symbol, k -> new ArrayList<>()).add(t);
        long[] s = market.get(t.symbol);
        if (t.priceCents * 100 > s[1] * 101 || t.priceCents * 100 < s[0] * 99) {
          report.add("OFF_MARKET_PRICE|" + a.accountId + "|" + t.symbol + "|trade=" + t.tradeId
              + " price=" + usd(t.priceCents) + " range=[" + usd(s[0]) + "," + usd(s[1]) + "]");
        }
      }
      long lmv = 0;
      long smv = 0;
      long req = 0;
      for (Map.Entry<String, Long> e : pos.entrySet()) {
        long q = e.getValue();
        long px = market.get(e.getKey())[2];
        if (q > 0) {
          lmv += q * px;
          req += Math.round(q * px * 0.25 + 1e-9);
        } else if (q < 0) {
          long mv = -q * px;
          smv += mv;
          req += px >= 500 ? Math.max(-q * 500, Math.round(mv * 0.30 + 1e-9)) : Math.max(-q * 250, mv);
        }
      }
      long equity = cash + lmv - smv;
      if (a.type == Account.Type.MARGIN && equity < req) {
        report.add("MARGIN_4210|" + a.accountId + "|-|equity=" + usd(equity) + " requirement="
            + usd(req) + " call=" + usd(req - equity) + " long=" + usd(lmv) + " short=" + usd(smv));
      }
      if (lmv >= 1_000_000) {
        for (Map.Entry<String, Long> e : pos.entrySet()) {
          if (e.getValue() <= 0) {
            continue;
          }
          long mv = e.getValue() * market.get(e.getKey())[2];
          if ((double) mv / lmv > limitPct / 100.0) {
            long pm = mv * 1000 / lmv;
            report.add("CONCENTRATION|" + a.accountId + "|" + e.getKey() + "|value=" + usd(mv)
                + " share=" + (pm / 10) + "." + (pm % 10) + "% limit=" + limitPct + "% long="
                + usd(lmv));
          }
        }
      }
    }
    for (Map.Entry<String, List<Trade>> g : byOwnerSymbol.entrySet()) {
      List<Trade> ts = new ArrayList<>(g.getValue());
      ts.sort((x, y) -> x.timeSec != y.timeSec ? Integer.compare(x.timeSec, y.timeSec)
          : x.tradeId.compareTo(y.tradeId));
      boolean[] used = new boolean[ts.size()];
      for (int j = 0; j < ts.size(); j++) {
        for (int i = 0; i < j; i++) {
          Trade a = ts.get(i);
          Trade b = ts.get(j);
          if (used[i] || used[j] || a.side == b.side || a.quantity != b.quantity
              || b.timeSec - a.timeSec > windowSec) {
            continue;
          }
          double diff = Math.abs(a.priceCents - b.priceCents)
              / (double) Math.min(a.priceCents, b.priceCents);
          if (diff > 0.005 + 1e-12) {
            continue;
          }
          used[i] = used[j] = true;
          Trade buy = a.side == Trade.Side.BUY ? a : b;
          Trade sell = buy == a ? b : a;
          String[] k = g.getKey().split("\\|");
          report.add("WASH_TRADE|" + k[0] + "|" + k[1] + "|buy=" + buy.tradeId + "@"
              + usd(buy.priceCents) + " sell=" + sell.tradeId + "@" + usd(sell.priceCents)
              + " qty=" + a.quantity + " dt=" + (b.timeSec - a.timeSec) + "s");
        }
      }
    }
    report.sort(null);
    return report;
  }

  FinraAuditOptions options(String[] runnerArgs, String... args) {
    List<String> all = new ArrayList<>(List.of(
        "--seed=" + SEED, "--accounts=" + ACCOUNTS, "--symbols=" + SYMBOLS,
        "--marketDataMb=" + MARKET_MB));
    all.addAll(List.of(args));
    return PipelineOptionsFactory.fromArgs(ExampleRunners.args(runnerArgs, all.toArray(new String[0])))
        .withValidation()
        .as(FinraAuditOptions.class);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runners")
  void reportMatchesPlainJavaAudit(String name, String[] runnerArgs) throws IOException {
    Path out = tmp.resolve("report.txt");
    FinraAuditOptions o = options(runnerArgs, "--output=" + out);
    assertEquals(PipelineResult.State.DONE, FinraAudit.run(o));
    List<String> report = Files.readAllLines(out, StandardCharsets.UTF_8);
    List<String> expected = referenceReport(25, 600);
    assertEquals(expected, report);

    // Every rule fires, and every planted finding is reported.
    Map<String, Integer> counts = FinraAudit.countByRule(report);
    for (String rule : List.of(AuditRules.MARGIN, AuditRules.CONCENTRATION, AuditRules.OFF_MARKET,
        AuditRules.WASH)) {
      assertTrue(counts.getOrDefault(rule, 0) > 0, rule + " never fired: " + counts);
    }
    String text = String.join("\n", report);
    for (int i = 0; i < ACCOUNTS; i++) {
      for (Trade t : Portfolio.account(SEED, SYMBOLS, i).trades) {
        if (t.tradeId.endsWith("O")) {
          assertTrue(text.contains("trade=" + t.tradeId + " "), "missed off-market " + t.tradeId);
        }
        if (t.tradeId.endsWith("-W1") || (t.tradeId.endsWith("-X1") && i + 1 < ACCOUNTS)) {
          assertTrue(text.contains("buy=" + t.tradeId + "@"), "missed wash " + t.tradeId);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runners")
  void csvMarketDataInputGivesTheSameReport(String name, String[] runnerArgs) throws IOException {
    Path csv = tmp.resolve("market.csv");
    MarketData.main(new String[] {csv.toString(), "" + MARKET_MB, "" + SYMBOLS, "" + SEED});
    Path out = tmp.resolve("report-csv.txt");
    FinraAuditOptions o = options(runnerArgs, "--output=" + out, "--marketDataInput=" + csv,
        "--concentrationLimitPct=40", "--washWindowSeconds=120");
    assertEquals(PipelineResult.State.DONE, FinraAudit.run(o));
    assertEquals(referenceReport(40, 120), Files.readAllLines(out, StandardCharsets.UTF_8));
  }

  @Test
  void shardsPartitionTheFeed() {
    long n = MarketData.quoteCount(2.5);
    int shards = MarketData.shardCount(2.5);
    assertEquals(3, shards);
    long total = 0;
    long expectSeq = 0;
    for (int s = 0; s < shards; s++) {
      for (String row : MarketData.shardRows(SEED, SYMBOLS, n, s, shards)) {
        assertEquals(expectSeq++, Quote.parse(row).seq);
        total += row.length() + 1;
      }
    }
    assertEquals(n, expectSeq);
    // Average row length is close to the sizing assumption, so --marketDataMb means what it says.
    double mb = total / (double) (1 << 20);
    assertTrue(Math.abs(mb - 2.5) < 0.5, "generated " + mb + " MiB");
  }

  @Test
  void marginRuleExample() {
    // Long 1000 @ $10 (25% = $2,500), short 100 @ $4 (max($250, $400) = $400); requirement $2,900.
    Map<String, MarketStats> m = Map.of(
        "AAA", new MarketStats("AAA", 1, 1, 1000, 1000, 1000, 1000),
        "BBB", new MarketStats("BBB", 1, 1, 400, 400, 400, 400));
    Account ok = new Account("A1", "O1", Account.Type.MARGIN, -700_000 + 40_000,
        Map.of("AAA", 1000L, "BBB", -100L), List.of());
    assertEquals(List.of(), AuditRules.margin(ok, m)); // equity 10000-7000 = 3000 >= 2900
    Account call = new Account("A2", "O1", Account.Type.MARGIN, -720_000 + 40_000,
        Map.of("AAA", 1000L, "BBB", -100L), List.of());
    assertEquals(
        List.of("MARGIN_4210|A2|-|equity=2800.00 requirement=2900.00 call=100.00 long=10000.00"
            + " short=400.00"),
        AuditRules.margin(call, m));
    Account cash = new Account("A3", "O1", Account.Type.CASH, -1_000_000,
        Map.of("AAA", 1000L), List.of());
    assertEquals(List.of(), AuditRules.margin(cash, m));
  }
}
