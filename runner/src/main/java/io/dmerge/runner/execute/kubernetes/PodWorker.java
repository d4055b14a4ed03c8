package io.dmerge.runner.execute.kubernetes;

import io.dmerge.runner.execute.process.RemoteWorker;
import io.dmerge.runner.execute.process.WorkerConnection;
import java.io.IOException;
import java.net.Socket;

/** One worker pod of a job and its connection to the driver. */
final class PodWorker implements RemoteWorker {
  private final String name;
  private final Socket socket;
  private final WorkerPods pods;
  private final WorkerConnection connection;
  private volatile boolean killed;

  PodWorker(String name, Socket socket, WorkerPods pods) throws IOException {
    this.name = name;
    this.socket = socket;
    this.pods = pods;
    this.connection = new WorkerConnection(socket.getInputStream(), socket.getOutputStream(), this::whyLost);
  }

  @Override
  public WorkerConnection connection() {
    return connection;
  }

  /** Called when the pod is gone: a task blocked on its connection fails now, not at a timeout. */
  void disconnect() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closed either way.
    }
  }

  /** What became of the pod; it is deleted, so that a worker that stopped answering ends too. */
  private String whyLost() {
    String state = pods.describe(name);
    kill();
    return "worker " + state;
  }

  @Override
  public boolean isAlive() {
    return !killed && !socket.isClosed();
  }

  @Override
  public void kill() {
    killed = true;
    disconnect();
    pods.delete(name);
  }
}
