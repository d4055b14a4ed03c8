package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.TaskRunner;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.Dmerges;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import org.apache.beam.sdk.metrics.MetricsEnvironment;

/**
 * The worker entry point: runs the task specs the driver sends on stdin, answering each with a
 * result or a failure on stdout, until stdin closes. A {@link ShmConfig} message attaches the worker
 * to a job's Dmerge regions for the tasks that follow. User code's System.out goes to stderr so it
 * cannot corrupt the channel.
 */
public final class WorkerMain {
  private WorkerMain() {}

  public static void main(String[] args) throws Exception {
    DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in)));
    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)));
    System.setOut(System.err);
    MetricsEnvironment.setMetricsSupported(true);
    Dmerge dmerge = null;
    for (Object message = Frames.read(in); message != null; message = Frames.read(in)) {
      if (message instanceof ShmConfig) {
        if (dmerge != null) {
          dmerge.close();
        }
        dmerge = Dmerges.attach((ShmConfig) message);
        continue;
      }
      Object reply;
      try {
        reply = TaskRunner.run((TaskSpec) message, dmerge);
      } catch (Throwable t) {
        reply = TaskFailure.of(t);
      }
      Frames.write(out, reply);
    }
    // User code may have left non-daemon threads behind; the driver is done with this worker.
    System.exit(0);
  }
}
