package io.dmerge.shuffle.remote;

import io.dmerge.shuffle.shm.ShmConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs a {@link NodeAgent} until the process is stopped:
 *
 * <pre>
 * java -cp ... io.dmerge.shuffle.remote.NodeAgentMain --spill-root DIR [--memory-root DIR]
 *     [--node NAME] [--bind ADDRESS] [--port N] [--timeout-ms N] [--idle-ms N]
 * </pre>
 *
 * Defaults: memory root {@code /dev/shm/dmerge}, node the host name, bind {@code 0.0.0.0}, port
 * 7070, timeout 30 s, idle 60 s. The roots and node name must be the ones the node's jobs use.
 */
public final class NodeAgentMain {
  public static final int DEFAULT_PORT = 7070;

  private NodeAgentMain() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 == args.length) {
        throw new IllegalArgumentException("expected --option value pairs, got '" + args[i] + "'");
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    String spill = take(opts, "spill-root", null);
    if (spill == null) {
      throw new IllegalArgumentException("--spill-root is required (the jobs' spill directory on this node)");
    }
    Path memoryRoot = Path.of(take(opts, "memory-root", ShmConfig.DEFAULT_MEMORY_ROOT.toString()));
    String node = take(opts, "node", ShmConfig.localNode());
    InetSocketAddress bind =
        new InetSocketAddress(take(opts, "bind", "0.0.0.0"), Integer.parseInt(take(opts, "port", "" + DEFAULT_PORT)));
    Duration timeout = Duration.ofMillis(Long.parseLong(take(opts, "timeout-ms", "" + NodeAgent.DEFAULT_TIMEOUT.toMillis())));
    Duration idle = Duration.ofMillis(Long.parseLong(take(opts, "idle-ms", "" + NodeAgent.DEFAULT_IDLE.toMillis())));
    if (!opts.isEmpty()) {
      throw new IllegalArgumentException("unknown options " + opts.keySet());
    }
    NodeAgent agent = NodeAgent.start(node, memoryRoot, Path.of(spill), bind, timeout, idle);
    Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "dmerge-agent-shutdown"));
    System.out.println("Dmerge node agent for node " + node + " listening on " + agent.address());
    Thread.currentThread().join(); // serve until killed; the hook closes the agent
  }

  private static String take(Map<String, String> opts, String name, String otherwise) {
    String v = opts.remove(name);
    return v == null ? otherwise : v;
  }
}
