package io.dmerge.runner.execute.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Workers outlive jobs in the pool; a killed one must never be handed to the next job. */
class WorkerPoolTest {
  /** A marker argument so that this test's workers are not shared with other tests' pools. */
  private static final List<String> ARGS = List.of("-Ddmerge.test=" + WorkerPoolTest.class.getSimpleName());

  @Test
  void aKilledWorkerIsDeadAtOnceAndIsNotPooled() throws Exception {
    WorkerProcess killed = WorkerPool.SHARED.acquire(ARGS);
    assertTrue(killed.isAlive());
    // A cancelled job kills its busy workers; the process may still be exiting when the job
    // returns its workers to the pool, and the next job must not get it.
    killed.kill();
    assertFalse(killed.isAlive(), "dead from the moment it is killed");
    WorkerPool.SHARED.release(killed);
    WorkerProcess next = WorkerPool.SHARED.acquire(ARGS);
    try {
      assertNotSame(killed, next);
      assertTrue(next.isAlive());
    } finally {
      next.close();
    }
  }

  @Test
  void aWorkerJvmThatCannotStartIsReportedWithItsExitCode() {
    UncheckedIOException e =
        assertThrows(UncheckedIOException.class, () -> WorkerPool.SHARED.acquire(List.of("-XX:+DmergeNoSuchJvmFlag")));
    String message = String.valueOf(e.getCause().getMessage());
    assertTrue(message.contains("exited with code 1 before connecting to the driver"), message);
  }
}
