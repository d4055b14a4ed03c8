package io.dmerge.runner.execute.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dmerge.shuffle.AccessKey;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The driver's port for worker pods: who gets in, and that a stranger holds nobody up. */
class WorkerListenerTest {

  @Test
  void aSilentStrangerDoesNotHoldUpAWorker() throws Exception {
    try (WorkerListener listener = new WorkerListener();
        Socket stranger = new Socket("127.0.0.1", listener.port())) {
      CompletableFuture<WorkerListener.Arrival> expected = listener.expect("w0");
      try (Socket worker = new Socket("127.0.0.1", listener.port())) {
        WorkerHandshake.send(worker.getOutputStream(), listener.token(), "w0", "node-3");
        // Well before the stranger's handshake times out (5 s): the two are admitted side by side.
        assertEquals("node-3", expected.get(4, TimeUnit.SECONDS).node());
      }
      assertFalse(stranger.isClosed());
    }
  }

  @Test
  void aWrongTokenOrAnUnexpectedNameIsRefused() throws Exception {
    try (WorkerListener listener = new WorkerListener()) {
      CompletableFuture<WorkerListener.Arrival> expected = listener.expect("w0");
      try (Socket impostor = new Socket("127.0.0.1", listener.port());
          Socket unknown = new Socket("127.0.0.1", listener.port())) {
        WorkerHandshake.send(impostor.getOutputStream(), AccessKey.random().toHex(), "w0", "");
        WorkerHandshake.send(unknown.getOutputStream(), listener.token(), "w9", "");
        // Both are closed by the driver: reading sees the end of the stream.
        impostor.setSoTimeout(10_000);
        unknown.setSoTimeout(10_000);
        assertEquals(-1, impostor.getInputStream().read());
        assertEquals(-1, unknown.getInputStream().read());
      }
      assertFalse(expected.isDone());
      listener.giveUp("w0", "test over");
      assertThrows(ExecutionException.class, expected::get);
    }
  }
}
