package io.dmerge.runner.execute.kubernetes;

import io.dmerge.runner.execute.LiveRead;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.execute.process.JobAttach;
import io.dmerge.runner.execute.process.WorkerDispatch;
import io.dmerge.runner.execute.process.WorkerListener;
import io.dmerge.runner.schedule.TaskExecutor;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.shm.ShmConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs tasks in worker pods, with the semantics of the process executor: each pod runs one worker
 * that connects back to the driver, shares nothing with it or the other workers but the job's
 * Dmerge regions, and runs one task at a time ({@link WorkerDispatch}). A worker whose connection
 * breaks, or whose pod is deleted or ends, is lost: its attempt fails so the scheduler retries it,
 * and a new pod replaces it. Pods are spread over the nodes that run a Dmerge node agent, or all
 * on the driver's node ({@link Placement}). The executor owns the client it is given and closes it
 * with the job.
 */
public final class KubernetesExecutor implements TaskExecutor {
  private final KubernetesClient client;
  private final ShmConfig job;
  private final PodSettings settings;
  private final WorkerListener listener;
  private final Placement placement;
  private final WorkerPodSpec spec;
  private final WorkerPods pods;
  private final Watch watch;
  private final Map<String, PodWorker> connected = new ConcurrentHashMap<>();
  private final WorkerDispatch<PodWorker> dispatch;
  private int nextPod;
  private boolean closed;

  public KubernetesExecutor(KubernetesClient client, PodSettings settings, ShmConfig job, int workers) {
    this.client = client;
    this.job = job;
    this.settings = settings;
    try {
      WorkerPods.check(client, settings.namespace());
      this.placement = Placement.choose(client, settings, job);
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
    try {
      this.listener = new WorkerListener();
    } catch (IOException e) {
      placement.close();
      client.close();
      throw new UncheckedIOException("cannot listen for worker pods", e);
    }
    this.spec = new WorkerPodSpec(settings, job, placement, listener.port());
    this.pods = new WorkerPods(client, settings.namespace(), spec);
    try {
      this.watch = pods.watch(this::podGone);
    } catch (RuntimeException e) {
      try {
        listener.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      placement.close();
      client.close();
      throw e;
    }
    try {
      // All pods start at once; each then has the whole start timeout to connect.
      long deadline = System.nanoTime() + settings.startTimeout().toNanos();
      List<StartingPod> starting = new ArrayList<>();
      for (int i = 0; i < workers; i++) {
        starting.add(createPod());
      }
      List<PodWorker> attached = new ArrayList<>();
      for (StartingPod pod : starting) {
        attached.add(attachedWorker(pod, deadline));
      }
      this.dispatch = new WorkerDispatch<>(attached, this::replacement);
    } catch (RuntimeException e) {
      shutdown();
      throw e;
    }
  }

  /** A pod created for a worker, and its worker once it connects. */
  private record StartingPod(String name, CompletableFuture<WorkerListener.Arrival> connection) {}

  /** Creates a pod for a new worker; refused once the job is over. */
  private synchronized StartingPod createPod() {
    if (closed) {
      throw new IllegalStateException("job " + job.jobId() + " has ended; no new worker pods");
    }
    String name = spec.podName(nextPod++);
    // Expected before it exists: its worker may connect before the API call returns.
    StartingPod pod = new StartingPod(name, listener.expect(name));
    pods.create(name, listener.token());
    return pod;
  }

  private PodWorker replacement() {
    return attachedWorker(createPod(), System.nanoTime() + settings.startTimeout().toNanos());
  }

  /** Waits for the pod's worker to connect and attaches it to the job's regions on its node. */
  private PodWorker attachedWorker(StartingPod pod, long deadline) {
    String name = pod.name();
    WorkerListener.Arrival arrival;
    try {
      arrival = pod.connection().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "worker " + pods.describe(name) + " did not connect to the driver at " + spec.driver() + " within "
              + settings.startTimeout().toSeconds() + " s (--workerStartTimeoutSeconds; is --workerImage "
              + settings.image() + " pullable, and --driverHost reachable from pods?)");
    } catch (ExecutionException e) {
      throw new IllegalStateException("worker pod " + name + " ended before connecting: " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for worker pod " + name, e);
    }
    JobAttach attach;
    try {
      attach = placement.attachment(name, arrival.node());
    } catch (RuntimeException e) {
      WorkerListener.closeQuietly(arrival.socket());
      pods.delete(name);
      // Not retryable: another pod would meet the same problem.
      throw new IllegalStateException("cannot attach worker pod " + name + " to job " + job.jobId() + ": " + e.getMessage(), e);
    }
    try {
      PodWorker worker = new PodWorker(name, arrival.socket(), pods);
      connected.put(name, worker);
      worker.connection().attach(attach);
      return worker;
    } catch (IOException e) {
      pods.delete(name);
      throw new UncheckedIOException("cannot attach worker pod " + name + " to job " + job.jobId(), e);
    }
  }

  /** A pod was deleted or ended: its worker is lost, connected or not. */
  private void podGone(String name, String state) {
    listener.giveUp(name, state);
    PodWorker worker = connected.remove(name);
    if (worker != null) {
      worker.disconnect();
    }
  }

  @Override
  public CompletableFuture<TaskResult> submit(TaskSpec task) {
    return dispatch.submit(task);
  }

  @Override
  public LiveRead.Split splitRest(CompletableFuture<TaskResult> attempt) {
    return dispatch.splitRest(attempt);
  }

  /** Deletes the pods that are running attempts; new pods take their place. */
  @Override
  public void cancel() {
    dispatch.cancel();
  }

  @Override
  public void release(RegionMeta region) {
    placement.release(region);
  }

  /** Deletes every pod of the job, then its regions on every node. */
  @Override
  public void close() {
    for (PodWorker idle : dispatch.close()) {
      try {
        // Ends the job's part there (its kept DoFns' teardown), then asks the worker to exit; its
        // pod is deleted below either way.
        idle.connection().detach();
        idle.connection().close();
      } catch (IOException ignored) {
        // The pod goes anyway.
      }
    }
    shutdown();
  }

  private void shutdown() {
    synchronized (this) {
      closed = true;
    }
    try {
      watch.close();
      pods.deleteAll();
      connected.values().forEach(PodWorker::disconnect);
      listener.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      try {
        placement.close();
      } finally {
        client.close();
      }
    }
  }
}
