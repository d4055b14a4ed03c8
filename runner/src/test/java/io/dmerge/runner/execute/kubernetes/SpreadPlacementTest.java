package io.dmerge.runner.execute.kubernetes;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.shm.ShmConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A spread job attaches a worker only on a node it knows an agent for, and says why not. */
class SpreadPlacementTest {
  private final ShmConfig job = new ShmConfig("job-s", Path.of("/dev/shm/dmerge"), Path.of("/tmp/spill"), 0, "driver");

  @Test
  void aWorkerOnANodeWithoutAgentOrWithoutItsNodeIsRefusedByName() {
    try (SpreadPlacement placement = new SpreadPlacement(NodeDirectory.parse("node-1=127.0.0.1:7070"), job)) {
      IllegalStateException elsewhere = assertThrows(IllegalStateException.class, () -> placement.attachment("pod-a", "node-9"));
      assertTrue(elsewhere.getMessage().contains("pod-a runs on node node-9, which has no Dmerge node agent (agents run on [node-1])"),
          elsewhere.getMessage());
      IllegalStateException unknown = assertThrows(IllegalStateException.class, () -> placement.attachment("pod-b", ""));
      assertTrue(unknown.getMessage().contains("pod-b did not say which node it runs on (env DMERGE_NODE_NAME"), unknown.getMessage());
    }
  }
}
