package io.dmerge.runner.execute.process;

import io.dmerge.shuffle.AccessKey;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.ThreadFactoryBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's port that its workers connect back to, worker JVMs on this machine and a job's pods
 * alike. It admits only a worker that presents the listener's token and a name the driver is
 * expecting, each name once; anything else is closed.
 */
public final class WorkerListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerListener.class);
  // A stranger that connects and says nothing is dropped after this long; handshakes run side by
  // side, so it holds up no worker meanwhile.
  private static final int HANDSHAKE_MILLIS = 5_000;

  private final AccessKey token = AccessKey.random();
  private final ServerSocket server;
  private final Map<String, CompletableFuture<Arrival>> expected = new ConcurrentHashMap<>();
  private final ExecutorService handshakes =
      Executors.newCachedThreadPool(
          new ThreadFactoryBuilder().setNameFormat("dmerge-worker-handshake-%d").setDaemon(true).build());

  public WorkerListener() throws IOException {
    server = new ServerSocket(0);
    Thread acceptor = new Thread(this::accept, "dmerge-worker-listener");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  public String token() {
    return token.toHex();
  }

  /** A worker that connected: its connection, and the node it says it runs on (empty if it does not know). */
  public record Arrival(Socket socket, String node) {}

  /** The worker named {@code name}, once it connects; each name is expected once. */
  public CompletableFuture<Arrival> expect(String name) {
    CompletableFuture<Arrival> connection = new CompletableFuture<>();
    if (expected.putIfAbsent(name, connection) != null) {
      throw new IllegalStateException("worker '" + name + "' is expected already");
    }
    return connection;
  }

  /** The worker named {@code name} will not connect: fails whoever waits for it. */
  public void giveUp(String name, String why) {
    CompletableFuture<Arrival> f = expected.remove(name);
    if (f != null) {
      f.completeExceptionally(new IOException(why));
    }
  }

  private void accept() {
    while (true) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException closed) {
        return;
      }
      try {
        handshakes.execute(() -> admit(socket));
      } catch (RejectedExecutionException closing) {
        closeQuietly(socket);
        return;
      }
    }
  }

  /** Hands the connection to the worker it names, if it is one the driver expects; closes it otherwise. */
  private void admit(Socket socket) {
    try {
      socket.setSoTimeout(HANDSHAKE_MILLIS);
      WorkerHandshake.Greeting greeting = WorkerHandshake.receive(socket.getInputStream(), token);
      String name = greeting.name();
      socket.setSoTimeout(0);
      socket.setTcpNoDelay(true);
      // A pod on a node that vanished sends no FIN; keep-alive eventually breaks its connection.
      socket.setKeepAlive(true);
      CompletableFuture<Arrival> f = expected.remove(name);
      if (f == null || !f.complete(new Arrival(socket, greeting.node()))) {
        throw new IOException("worker '" + name + "' is not expected");
      }
    } catch (IOException e) {
      LOG.warn("refused a connection from {}: {}", socket.getRemoteSocketAddress(), e.getMessage());
      closeQuietly(socket);
    }
  }

  public static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Refused either way.
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    handshakes.shutdownNow();
    expected.values().forEach(f -> f.completeExceptionally(new IOException("the driver stopped listening")));
  }
}
