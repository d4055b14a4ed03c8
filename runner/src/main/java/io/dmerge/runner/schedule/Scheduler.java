package io.dmerge.runner.schedule;

import io.dmerge.runner.DmergePipelineOptions;
import io.dmerge.runner.execute.LiveRead;
import io.dmerge.runner.execute.SideInputData;
import io.dmerge.runner.execute.StreamRound;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.metrics.JobMetrics;
import io.dmerge.runner.plan.Planner;
import io.dmerge.runner.plan.Stage;
import io.dmerge.runner.plan.StagePlan;
import io.dmerge.runner.shuffle.RegionRef;
import io.dmerge.runner.translate.Step;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.LinkedHashSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.ThreadFactoryBuilder;

/**
 * Runs a stage plan: each stage once the stages it reads are done, its tasks in parallel on the executor.
 * It collects the regions each task registered, hands every consumer the regions of its partition
 * and side inputs, and retries attempts that failed outside user code up to --maxTaskAttempts. A
 * boundary's regions are released as soon as every stage that reads them has succeeded, so a long
 * pipeline holds only the shuffles still ahead of it.
 */
public final class Scheduler {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Scheduler.class);
  /** How often a read stage with an idle slot looks for a running read to split, in ms. */
  private static final long REBALANCE_PERIOD_MS = 100;
  private final StagePlan plan;
  private final DmergePipelineOptions options;
  private final SerializablePipelineOptions serializedOptions;
  private final TaskExecutor executor;
  private final JobMetrics metrics;
  private final Map<String, List<RegionRef>> regionsByBoundary = new ConcurrentHashMap<>();
  /** In a streaming job, the round that wrote each region a stage has not read yet. */
  private final Map<RegionRef, Integer> writtenInRound = new ConcurrentHashMap<>();
  private final Map<String, Step.CreateView> viewSteps = new HashMap<>();
  /** Per boundary, how many stages that read it have not yet succeeded. */
  private final Map<String, AtomicInteger> pendingReaders = new HashMap<>();
  private volatile boolean cancelled;

  public Scheduler(
      StagePlan plan, DmergePipelineOptions options, TaskExecutor executor, JobMetrics metrics) {
    this.plan = plan;
    this.options = options;
    this.serializedOptions = new SerializablePipelineOptions(options);
    this.executor = executor;
    this.metrics = metrics;
    for (Stage stage : plan.stages()) {
      for (Step.Boundary b : stage.writes()) {
        if (b instanceof Step.CreateView) {
          viewSteps.put(Planner.viewId(((Step.CreateView) b).view()), (Step.CreateView) b);
        }
      }
    }
    for (Stage stage : plan.stages()) {
      for (String boundary : boundariesRead(stage)) {
        pendingReaders.computeIfAbsent(boundary, k -> new AtomicInteger()).incrementAndGet();
      }
    }
  }

  /**
   * Runs every stage as soon as the stages it reads have finished, so independent branches of a
   * pipeline share the executor instead of waiting for each other. The first failure stops the job.
   * A streaming job runs in rounds instead ({@link StreamRounds}).
   */
  public void run() throws Exception {
    if (plan.streaming()) {
      new StreamRounds(this, plan).run();
      return;
    }
    ExecutorService stageThreads =
        Executors.newCachedThreadPool(
            new ThreadFactoryBuilder().setNameFormat("dmerge-stage-%d").setDaemon(true).build());
    Map<Integer, CompletableFuture<Void>> finished = new HashMap<>();
    CompletableFuture<Void> firstFailure = new CompletableFuture<>();
    try {
      for (Stage stage : plan.stages()) {
        CompletableFuture<?>[] upstream = stage.upstream().stream().map(finished::get).toArray(CompletableFuture[]::new);
        CompletableFuture<Void> done =
            CompletableFuture.allOf(upstream).thenRunAsync(() -> runAndCollect(stage), stageThreads);
        done.whenComplete((r, t) -> {
          if (t != null) {
            firstFailure.completeExceptionally(t);
          }
        });
        finished.put(stage.id(), done);
      }
      CompletableFuture.anyOf(CompletableFuture.allOf(finished.values().toArray(CompletableFuture[]::new)), firstFailure).join();
    } catch (CompletionException e) {
      executor.cancel();
      Throwable cause = TaskFailures.unwrap(e);
      throw cause instanceof Exception ? (Exception) cause : new RuntimeException(cause);
    } finally {
      stageThreads.shutdownNow();
    }
  }

  private void runAndCollect(Stage stage) {
    checkNotCancelled();
    long start = System.nanoTime();
    int tasks = 0;
    try {
      if (stage.iterates()) {
        tasks = runIterations(stage).size();
      } else {
        List<TaskResult> results = runStage(stage, inputs(stage, regionsOf(stage.root())), 0, null);
        collect(results, null);
        tasks = results.size();
      }
    } catch (Exception e) {
      throw new CompletionException(e);
    }
    LOG.debug("{} done: {} tasks in {} ms", stage, tasks, (System.nanoTime() - start) / 1_000_000);
    releaseFullyRead(stage);
  }

  /**
   * Runs a stage that writes the boundary it reads ({@link Stage#iterates()}) on what is there,
   * then again on what that run wrote, until a run writes nothing; each run only after the
   * previous one's tasks have finished, so after their bundles were finalized. Every run's tasks
   * get indices of their own, so their regions have names of their own.
   */
  private List<TaskResult> runIterations(Stage stage) throws Exception {
    List<TaskResult> all = new ArrayList<>();
    for (List<TaskResult> pass = runPass(stage, 0, null); !pass.isEmpty(); pass = runPass(stage, all.size(), null)) {
      all.addAll(pass);
    }
    return all;
  }

  /**
   * Runs a stage that iterates once, on what its boundary holds now (nothing if it holds nothing);
   * what the run writes there waits for the next pass. A streaming round makes one pass.
   */
  List<TaskResult> runPass(Stage stage, int firstIndex, StreamRound round) throws Exception {
    List<RegionRef> regions = regionsByBoundary.remove(stage.root().name());
    if (regions == null || regions.isEmpty()) {
      return List.of();
    }
    checkNotCancelled();
    List<TaskResult> results = runStage(stage, inputs(stage, List.copyOf(regions)), firstIndex, round);
    release(regions);
    collect(results, round);
    return results;
  }

  /** Whether an iterating stage has something left to run on: the residuals of a splittable DoFn. */
  boolean hasResiduals() {
    return plan.stages().stream().anyMatch(s -> s.iterates() && !regionsOf(s.root()).isEmpty());
  }

  /**
   * Takes in what the tasks of one stage wrote, in streaming {@code round} (null in batch), and
   * releases the side-input regions they found replaced by later firings: no task is running then
   * (a round runs one stage at a time), and no later reader needs them.
   */
  void collect(List<TaskResult> results, StreamRound round) {
    for (TaskResult result : results) {
      metrics.add(result.metrics());
      result.regions().forEach((boundary, ref) -> {
        if (round != null) {
          writtenInRound.put(ref, round.number());
        }
        regionsByBoundary.computeIfAbsent(boundary, k -> new CopyOnWriteArrayList<>()).add(ref);
      });
    }
    if (round != null) {
      Set<RegionRef> replaced = new HashSet<>();
      results.forEach(r -> replaced.addAll(r.replacedSideInputs()));
      for (List<RegionRef> regions : regionsByBoundary.values()) {
        List<RegionRef> gone = regions.stream().filter(replaced::contains).toList();
        if (regions.removeAll(gone)) {
          release(gone);
        }
      }
    }
  }

  private void release(List<RegionRef> regions) {
    regions.forEach(ref -> {
      writtenInRound.remove(ref);
      executor.release(ref.meta());
    });
  }

  List<RegionRef> regionsOf(Step root) {
    return List.copyOf(regionsByBoundary.getOrDefault(root.name(), List.of()));
  }

  /**
   * Releases the regions of every boundary but the side inputs' and the residuals': a streaming
   * round's shuffles are read within the round, while a side input grows over the rounds and
   * residuals wait for the next round.
   */
  void releaseShuffles() {
    Set<String> kept = new HashSet<>();
    viewSteps.values().forEach(v -> kept.add(v.name()));
    plan.stages().stream().filter(Stage::iterates).forEach(s -> kept.add(s.root().name()));
    for (String boundary : List.copyOf(regionsByBoundary.keySet())) {
      if (!kept.contains(boundary)) {
        release(regionsByBoundary.remove(boundary));
      }
    }
  }

  /** Releases the regions of every boundary {@code stage} read that no other stage still has to read. */
  private void releaseFullyRead(Stage stage) {
    for (String boundary : boundariesRead(stage)) {
      if (pendingReaders.get(boundary).decrementAndGet() == 0) {
        List<RegionRef> regions = regionsByBoundary.remove(boundary);
        if (regions != null) {
          release(regions);
        }
      }
    }
  }

  /** The boundaries whose regions {@code stage}'s tasks read: its shuffle input and its side inputs. */
  private Set<String> boundariesRead(Stage stage) {
    Set<String> read = new LinkedHashSet<>();
    if (stage.root() instanceof Step.Boundary) {
      read.add(stage.root().name());
    }
    for (PCollectionView<?> view : sideInputViews(stage)) {
      read.add(viewSteps.get(Planner.viewId(view)).name());
    }
    return read;
  }

  public void cancel() {
    cancelled = true;
    executor.cancel();
  }

  /**
   * Runs one task per input, with indices from {@code firstIndex} on, retrying failed attempts.
   * {@code round} is the streaming round the tasks belong to, null in batch.
   */
  List<TaskResult> runStage(Stage stage, List<TaskInput> inputs, int firstIndex, StreamRound round) throws Exception {
    Map<String, SideInputData> sideInputs = sideInputs(stage);
    List<TaskResult> results = new ArrayList<>();
    Attempts attempts = new Attempts();
    List<TaskSpec> first = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      first.add(spec(stage, firstIndex + i, 0, inputs.get(i), sideInputs, round));
      results.add(null);
    }
    attempts.submit(first);
    boolean rebalances = round == null && stage.root() instanceof Step.Read;
    while (!attempts.isEmpty()) {
      checkNotCancelled();
      List<TaskSpec> retries = new ArrayList<>();
      Throwable fatal = null;
      // With a slot idle, wake up now and then to look for a read to split.
      for (CompletableFuture<TaskResult> done : attempts.awaitEnded(rebalances && attempts.size() < options.getParallelism())) {
        TaskSpec attempt = attempts.remove(done);
        try {
          results.set(attempt.index() - firstIndex, done.join());
        } catch (CancellationException e) {
          fatal = fatal == null ? e : fatal;
        } catch (RuntimeException e) {
          Throwable cause = TaskFailures.unwrap(e);
          if (TaskFailures.isRetryable(cause) && attempt.attempt() + 1 < options.getMaxTaskAttempts()) {
            retries.add(spec(stage, attempt.index(), attempt.attempt() + 1, attempt.input(), sideInputs, round));
          } else if (fatal == null) {
            fatal = cause;
          }
        }
      }
      if (fatal != null) {
        // The stage has failed: stop its other attempts instead of waiting for them. Other
        // stages are stopped by run() once this failure is known to be the job's.
        attempts.cancelAll();
        throw new TaskFailedException(stage, TaskFailures.userFacing(fatal));
      }
      attempts.submit(retries);
      if (rebalances) {
        rebalance(stage, attempts, results, firstIndex, sideInputs);
      }
    }
    return results;
  }

  /** A stage's attempts on the executor that have not been handled yet, and those that have ended. */
  private final class Attempts {
    private final Map<CompletableFuture<TaskResult>, TaskSpec> running = new LinkedHashMap<>();
    private final BlockingQueue<CompletableFuture<TaskResult>> ended = new LinkedBlockingQueue<>();

    void submit(List<TaskSpec> attempts) {
      List<CompletableFuture<TaskResult>> futures = executor.submitAll(attempts);
      for (int i = 0; i < attempts.size(); i++) {
        CompletableFuture<TaskResult> f = futures.get(i);
        running.put(f, attempts.get(i));
        f.whenComplete((r, t) -> ended.add(f));
      }
    }

    /** The attempts that ended since last asked, after waiting for one; with {@code briefly}, at most {@link #REBALANCE_PERIOD_MS}. */
    List<CompletableFuture<TaskResult>> awaitEnded(boolean briefly) throws InterruptedException {
      List<CompletableFuture<TaskResult>> out = new ArrayList<>();
      CompletableFuture<TaskResult> first = briefly ? ended.poll(REBALANCE_PERIOD_MS, TimeUnit.MILLISECONDS) : ended.take();
      if (first != null) {
        out.add(first);
        ended.drainTo(out);
      }
      return out;
    }

    /** Running attempts with their specs; a spec replaced here is what the attempt's retry runs. */
    Set<Map.Entry<CompletableFuture<TaskResult>, TaskSpec>> entries() {
      return running.entrySet();
    }

    TaskSpec remove(CompletableFuture<TaskResult> attempt) {
      return running.remove(attempt);
    }

    boolean isEmpty() {
      return running.isEmpty();
    }

    int size() {
      return running.size();
    }

    void cancelAll() {
      running.keySet().forEach(f -> f.cancel(true));
    }
  }

  /**
   * Dynamic work rebalancing of a batch read stage: while a slot is idle, a running read gives
   * the unread half of its range to a new task of the stage, and keeps the primary half, which is
   * also all that the attempt's retry would read.
   */
  private void rebalance(Stage stage, Attempts attempts, List<TaskResult> results, int firstIndex, Map<String, SideInputData> sideInputs) {
    while (attempts.size() < options.getParallelism()) {
      TaskSpec residual = null;
      for (Map.Entry<CompletableFuture<TaskResult>, TaskSpec> attempt : attempts.entries()) {
        LiveRead.Split split = executor.splitRest(attempt.getKey());
        if (split != null) {
          TaskSpec kept = attempt.getValue();
          attempt.setValue(spec(stage, kept.index(), kept.attempt(), new TaskInput.SourceSplit(split.primary()), sideInputs, null));
          residual = spec(stage, firstIndex + results.size(), 0, new TaskInput.SourceSplit(split.residual()), sideInputs, null);
          results.add(null);
          LOG.debug("{}: task {} gave the rest of its read to task {}", stage, kept.index(), residual.index());
          break;
        }
      }
      if (residual == null) {
        return;
      }
      attempts.submit(List.of(residual));
    }
  }

  private TaskSpec spec(
      Stage stage, int index, int attempt, TaskInput input, Map<String, SideInputData> sideInputs, StreamRound round) {
    return new TaskSpec(
        stage.id(), index, attempt, stage, input, sideInputs, options.getParallelism(), options.getShuffleBlockBytes(),
        serializedOptions, round);
  }

  /** The stage's task inputs; {@code regions} are what a boundary root reads. */
  List<TaskInput> inputs(Stage stage, List<RegionRef> regions) throws Exception {
    Step root = stage.root();
    List<TaskInput> inputs = new ArrayList<>();
    if (root instanceof Step.Read) {
      for (BoundedSource<?> split : SourceSplitter.split(((Step.Read) root).source(), root.name(), options, metrics)) {
        inputs.add(new TaskInput.SourceSplit(split));
      }
    } else if (root instanceof Step.Impulse) {
      inputs.add(new TaskInput.Impulse());
    } else {
      for (int p = 0; p < options.getParallelism(); p++) {
        inputs.add(new TaskInput.Partition(p, regions));
      }
    }
    return inputs;
  }

  private Map<String, SideInputData> sideInputs(Stage stage) {
    Map<String, SideInputData> out = new LinkedHashMap<>();
    for (PCollectionView<?> view : sideInputViews(stage)) {
      String id = Planner.viewId(view);
      Step.CreateView producer = viewSteps.get(id);
      out.put(
          id,
          new SideInputData(
              view, producer.coder(), producer.windowing(), byRound(regionsByBoundary.getOrDefault(producer.name(), List.of()))));
    }
    return out;
  }

  /** Regions by the round that wrote them, oldest first; in batch, all in one. */
  private List<List<RegionRef>> byRound(List<RegionRef> regions) {
    TreeMap<Integer, List<RegionRef>> rounds = new TreeMap<>();
    regions.forEach(ref -> rounds.computeIfAbsent(writtenInRound.getOrDefault(ref, 0), k -> new ArrayList<>()).add(ref));
    return List.copyOf(rounds.values());
  }

  private static List<PCollectionView<?>> sideInputViews(Stage stage) {
    List<Step> all = new ArrayList<>(stage.steps());
    all.add(stage.root());
    List<PCollectionView<?>> views = new ArrayList<>();
    for (Step s : all) {
      if (s instanceof Step.ParDo) {
        views.addAll(((Step.ParDo) s).sideInputs());
      } else if (s instanceof Step.KeyedParDo) {
        views.addAll(((Step.KeyedParDo) s).parDo().sideInputs());
      }
    }
    return views;
  }

  void checkNotCancelled() {
    if (cancelled) {
      throw new CancellationException("job cancelled");
    }
  }

  /** A stage failed for good; the cause is what the user should see. */
  public static final class TaskFailedException extends Exception {
    public TaskFailedException(Stage stage, Throwable cause) {
      super("stage " + stage.id() + " (" + stage.root().name() + ") failed: " + cause, cause);
    }
  }
}
