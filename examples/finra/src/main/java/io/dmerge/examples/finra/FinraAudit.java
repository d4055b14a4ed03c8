package io.dmerge.examples.finra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * The FINRA audit workflow.
 *
 * <pre>
 *   account ids --FetchPortfolio--> accounts ------------------------------+
 *                                                                           |  (parallel rules)
 *   shard ids --FetchMarketData--> CSV rows --Parse--> quotes               +--> Margin 4210  ----+
 *      (or --marketDataInput CSV)         --Combine.perKey--> MarketStats  +--> Concentration ---+
 *                                         --View.asMap--> side input ------+--> Off-market price-+--> Flatten --> sort --> report
 *   accounts --trades by beneficial owner--> GroupByKey --> Wash trades    ------------------------+
 * </pre>
 *
 * <p>Portfolio and market data are fetched by independent branches (deterministic generators
 * with a fixed seed: {@link Portfolio}, {@link MarketData}), the market data reaches the rules as a
 * {@code View.asMap} side input, and all violations end up in one sorted report file.
 */
public final class FinraAudit {
  private FinraAudit() {}

  /** Accounts per page of the portfolio fetch. */
  static final int ACCOUNTS_PER_PAGE = 100;

  /** Fetches (generates) one page of {@link #ACCOUNTS_PER_PAGE} accounts. */
  static class FetchAccountPageFn extends DoFn<Integer, Account> {
    private final long seed;
    private final int symbols;
    private final int accounts;

    FetchAccountPageFn(long seed, int symbols, int accounts) {
      this.seed = seed;
      this.symbols = symbols;
      this.accounts = accounts;
    }

    @ProcessElement
    public void process(@Element Integer page, OutputReceiver<Account> out) {
      int from = page * ACCOUNTS_PER_PAGE;
      int to = Math.min(accounts, from + ACCOUNTS_PER_PAGE);
      for (int i = from; i < to; i++) {
        out.output(Portfolio.account(seed, symbols, i));
      }
    }
  }

  /** Fetches (generates) one 1 MiB shard of the market-data CSV. */
  static class FetchMarketDataShardFn extends DoFn<Integer, String> {
    private final long seed;
    private final int symbols;
    private final long quotes;
    private final int shards;

    FetchMarketDataShardFn(long seed, int symbols, long quotes, int shards) {
      this.seed = seed;
      this.symbols = symbols;
      this.quotes = quotes;
      this.shards = shards;
    }

    @ProcessElement
    public void process(@Element Integer shard, OutputReceiver<String> out) {
      for (String row : MarketData.shardRows(seed, symbols, quotes, shard, shards)) {
        out.output(row);
      }
    }
  }

  static class ParseQuoteFn extends DoFn<String, KV<String, Quote>> {
    @ProcessElement
    public void process(@Element String row, OutputReceiver<KV<String, Quote>> out) {
      Quote q = Quote.parse(row);
      if (q != null) {
        out.output(KV.of(q.symbol, q));
      }
    }
  }

  /** Which per-account rule an {@link AccountRuleFn} applies. */
  enum AccountRule {
    MARGIN,
    CONCENTRATION,
    OFF_MARKET
  }

  /** Applies one per-account rule against the market-data side input. */
  static class AccountRuleFn extends DoFn<Account, String> {
    private final AccountRule rule;
    private final int concentrationLimitPct;
    private final PCollectionView<Map<String, MarketStats>> market;

    AccountRuleFn(
        AccountRule rule, int concentrationLimitPct, PCollectionView<Map<String, MarketStats>> market) {
      this.rule = rule;
      this.concentrationLimitPct = concentrationLimitPct;
      this.market = market;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Map<String, MarketStats> m = c.sideInput(market);
      Account a = c.element();
      List<String> found =
          switch (rule) {
            case MARGIN -> AuditRules.margin(a, m);
            case CONCENTRATION -> AuditRules.concentration(a, m, concentrationLimitPct);
            case OFF_MARKET -> AuditRules.offMarket(a, m);
          };
      found.forEach(c::output);
    }
  }

  static class TradesByOwnerFn extends DoFn<Account, KV<String, Trade>> {
    @ProcessElement
    public void process(@Element Account a, OutputReceiver<KV<String, Trade>> out) {
      for (Trade t : a.trades) {
        out.output(KV.of(t.ownerId, t));
      }
    }
  }

  static class WashTradeFn extends DoFn<KV<String, Iterable<Trade>>, String> {
    private final int windowSec;

    WashTradeFn(int windowSec) {
      this.windowSec = windowSec;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<Trade>> owner, OutputReceiver<String> out) {
      Map<String, List<Trade>> bySymbol = new TreeMap<>();
      for (Trade t : owner.getValue()) {
        bySymbol.computeIfAbsent(t.symbol, k -> new ArrayList<>()).add(t);
      }
      bySymbol.forEach(
          (symbol, trades) ->
              AuditRules.washTrades(owner.getKey(), symbol, trades, windowSec)
                  .forEach(out::output));
    }
  }

  static class SortFn extends DoFn<KV<String, Iterable<String>>, String> {
    @ProcessElement
    public void process(@Element KV<String, Iterable<String>> all, OutputReceiver<String> out) {
      List<String> lines = new ArrayList<>();
      all.getValue().forEach(lines::add);
      lines.sort(null);
      lines.forEach(out::output);
    }
  }

  /** Builds the audit pipeline. */
  public static Pipeline buildPipeline(FinraAuditOptions o) {
    if (o.getAccounts() < 1 || o.getSymbols() < 1 || o.getSymbols() > 17_576) {
      throw new IllegalArgumentException("need --accounts >= 1 and 1 <= --symbols <= 17576");
    }
    if (o.getMarketDataInput().isEmpty() && !(o.getMarketDataMb() > 0)) {
      throw new IllegalArgumentException("--marketDataMb must be > 0");
    }
    Pipeline p = Pipeline.create(o);

    // Branch 1: fetch the portfolio (accounts, positions, the day's trades).
    int pages = (o.getAccounts() + ACCOUNTS_PER_PAGE - 1) / ACCOUNTS_PER_PAGE;
    List<Integer> pageIds = IntStream.range(0, pages).boxed().collect(Collectors.toList());
    PCollection<Account> accounts =
        p.apply("AccountPages", Create.of(pageIds))
            .apply("SpreadPages", Reshuffle.viaRandomKey())
            .apply(
                "FetchPortfolio",
                ParDo.of(new FetchAccountPageFn(o.getSeed(), o.getSymbols(), o.getAccounts())))
            .setCoder(Coders.AccountCoder.of());

    // Branch 2: fetch the market data (generated 1 MiB CSV shards, or a CSV file).
    PCollection<String> rows;
    if (o.getMarketDataInput().isEmpty()) {
      int shards = MarketData.shardCount(o.getMarketDataMb());
      long quotes = MarketData.quoteCount(o.getMarketDataMb());
      List<Integer> shardIds = IntStream.range(0, shards).boxed().collect(Collectors.toList());
      rows =
          p.apply("MarketDataShards", Create.of(shardIds))
              .apply("SpreadShards", Reshuffle.viaRandomKey())
              .apply(
                  "FetchMarketData",
                  ParDo.of(
                      new FetchMarketDataShardFn(o.getSeed(), o.getSymbols(), quotes, shards)));
    } else {
      rows = p.apply("ReadMarketData", TextIO.read().from(o.getMarketDataInput()));
    }
    PCollectionView<Map<String, MarketStats>> market =
        rows.apply("ParseQuotes", ParDo.of(new ParseQuoteFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), Coders.QuoteCoder.of()))
            .apply("MarketStats", Combine.perKey(new MarketStats.StatsFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), Coders.MarketStatsCoder.of()))
            .apply("MarketView", View.asMap());

    // The rules, in parallel, on the merged state (accounts + market-data side input).
    int limit = o.getConcentrationLimitPct();
    PCollection<String> margin =
        accounts.apply(
            "Rule4210Margin",
            ParDo.of(new AccountRuleFn(AccountRule.MARGIN, limit, market)).withSideInputs(market));
    PCollection<String> concentration =
        accounts.apply(
            "RuleConcentration",
            ParDo.of(new AccountRuleFn(AccountRule.CONCENTRATION, limit, market))
                .withSideInputs(market));
    PCollection<String> offMarket =
        accounts.apply(
            "RuleOffMarketPrice",
            ParDo.of(new AccountRuleFn(AccountRule.OFF_MARKET, limit, market))
                .withSideInputs(market));
    PCollection<String> wash =
        accounts
            .apply("TradesByOwner", ParDo.of(new TradesByOwnerFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), Coders.TradeCoder.of()))
            .apply("GroupTrades", GroupByKey.create())
            .apply("RuleWashTrades", ParDo.of(new WashTradeFn(o.getWashWindowSeconds())));

    // Merge all violations into one sorted report.
    PCollectionList.of(margin)
        .and(concentration)
        .and(offMarket)
        .and(wash)
        .apply("MergeViolations", Flatten.pCollections())
        .apply("OneReport", WithKeys.of("report"))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
        .apply("Gather", GroupByKey.create())
        .apply("Sort", ParDo.of(new SortFn()))
        .apply("WriteReport", TextIO.write().to(o.getOutput()).withoutSharding());
    return p;
  }

  /** Runs the audit and waits for it. */
  public static PipelineResult.State run(FinraAuditOptions o) throws IOException {
    Files.deleteIfExists(Paths.get(o.getOutput()));
    return buildPipeline(o).run().waitUntilFinish();
  }

  /** Violation counts by rule id, from report lines. */
  public static Map<String, Integer> countByRule(List<String> lines) {
    Map<String, Integer> counts = new TreeMap<>();
    for (String l : lines) {
      counts.merge(l.substring(0, l.indexOf('|')), 1, Integer::sum);
    }
    return counts;
  }

  public static void main(String[] args) throws IOException {
    FinraAuditOptions o =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(FinraAuditOptions.class);
    long start = System.nanoTime();
    PipelineResult.State state = run(o);
    long millis = (System.nanoTime() - start) / 1_000_000;
    List<String> report =
        Files.exists(Paths.get(o.getOutput()))
            ? Files.readAllLines(Paths.get(o.getOutput()), StandardCharsets.UTF_8)
            : List.of();
    System.out.printf(
        "FinraAudit finished: state=%s runner=%s accounts=%d symbols=%d market data=%s (%d ms)%n",
        state,
        o.getRunner().getSimpleName(),
        o.getAccounts(),
        o.getSymbols(),
        o.getMarketDataInput().isEmpty()
            ? String.format(
                "%.1f MiB generated (%d quotes, %d shards)",
                o.getMarketDataMb(),
                MarketData.quoteCount(o.getMarketDataMb()),
                MarketData.shardCount(o.getMarketDataMb()))
            : o.getMarketDataInput(),
        millis);
    System.out.printf("%d violations -> %s%n", report.size(), o.getOutput());
    Map<String, Integer> counts = countByRule(report);
    counts.forEach((rule, n) -> System.out.printf("  %-18s %5d%n", rule, n));
    System.out.println("first lines of each rule:");
    for (String rule : counts.keySet()) {
      report.stream().filter(l -> l.startsWith(rule + "|")).limit(2)
          .forEach(l -> System.out.println("  " + l));
    }
  }
}
