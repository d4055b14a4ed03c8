package io.dmerge.examples.finra;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of {@link FinraAudit}. */
public interface FinraAuditOptions extends PipelineOptions {
  @Description("Seed of the deterministic portfolio and market-data generators.")
  @Default.Long(42)
  long getSeed();

  void setSeed(long value);

  @Description("Number of customer accounts (two accounts per beneficial owner).")
  @Default.Integer(1000)
  int getAccounts();

  void setAccounts(int value);

  @Description("Number of listed symbols.")
  @Default.Integer(200)
  int getSymbols();

  void setSymbols(int value);

  @Description(
      "Size of the generated daily market-data CSV in MiB (default 3, like the original workflow's"
          + " daily file; up to 1024 for benchmarks; fractions allowed). Generated in 1 MiB shards.")
  @Default.Double(3.0)
  double getMarketDataMb();

  void setMarketDataMb(double value);

  @Description(
      "Optional market-data CSV file/glob to read instead of generating one"
          + " (columns: seq,symbol,time,bid,ask,last,volume; prices in cents, time in seconds since"
          + " midnight). Write one with the main class io.dmerge.examples.finra.MarketData.")
  @Default.String("")
  String getMarketDataInput();

  void setMarketDataInput(String value);

  @Description("Position-concentration limit in percent of the account's long market value.")
  @Default.Integer(25)
  int getConcentrationLimitPct();

  void setConcentrationLimitPct(int value);

  @Description("Wash-trade window in seconds between the buy and the sell.")
  @Default.Integer(600)
  int getWashWindowSeconds();

  void setWashWindowSeconds(int value);

  @Description("Report file (one file, sorted lines RULE|entity|symbol|detail).")
  @Default.String("target/finra/violations.txt")
  String getOutput();

  void setOutput(String value);
}
