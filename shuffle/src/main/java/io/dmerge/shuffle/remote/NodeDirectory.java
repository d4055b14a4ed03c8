package io.dmerge.shuffle.remote;

import io.dmerge.shuffle.DmergeException;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where each node's agent listens: a plain map from node name (as in {@code RegionMeta.node()})
 * to host and port, given by configuration.
 */
public final class NodeDirectory {
  /** No agents: every region is on the reader's own node. */
  public static final NodeDirectory EMPTY = new NodeDirectory(Map.of());

  private final Map<String, InetSocketAddress> agents;

  public NodeDirectory(Map<String, InetSocketAddress> agents) {
    this.agents = Collections.unmodifiableMap(new LinkedHashMap<>(agents));
  }

  /**
   * Parses {@code "nodeA=10.0.0.1:7070,nodeB=host-b:7070"} (whitespace around entries ignored).
   * Host names are resolved when an address is used, not here.
   */
  public static NodeDirectory parse(String spec) {
    Map<String, InetSocketAddress> agents = new LinkedHashMap<>();
    for (String entry : spec.split(",")) {
      String e = entry.strip();
      if (e.isEmpty()) {
        continue;
      }
      int eq = e.indexOf('=');
      int colon = e.lastIndexOf(':');
      if (eq <= 0 || colon < eq + 2 || colon == e.length() - 1) {
        throw new IllegalArgumentException("node directory entry '" + e + "' is not node=host:port");
      }
      String node = e.substring(0, eq).strip();
      int port;
      try {
        port = Integer.parseInt(e.substring(colon + 1));
      } catch (NumberFormatException x) {
        throw new IllegalArgumentException("node directory entry '" + e + "' has no numeric port", x);
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("node directory entry '" + e + "' has port " + port + " out of range");
      }
      if (agents.put(node, InetSocketAddress.createUnresolved(e.substring(eq + 1, colon).strip(), port)) != null) {
        throw new IllegalArgumentException("node " + node + " appears twice in the node directory");
      }
    }
    return new NodeDirectory(agents);
  }

  /** The agent of {@code node}, resolved now; fails naming the node if the directory lacks it. */
  public InetSocketAddress agent(String node) {
    InetSocketAddress a = agents.get(node);
    if (a == null) {
      throw new DmergeException(
          "no node agent address for node " + node + " in the node directory (it lists " + agents.keySet() + ")");
    }
    InetSocketAddress resolved = new InetSocketAddress(a.getHostString(), a.getPort());
    if (resolved.isUnresolved()) {
      throw new DmergeException("cannot resolve host " + a.getHostString() + " of the agent of node " + node);
    }
    return resolved;
  }

  /** The nodes that have an agent. */
  public Set<String> nodes() {
    return agents.keySet();
  }

  public boolean isEmpty() {
    return agents.isEmpty();
  }

  /** The directory in the form {@link #parse} reads. */
  public String spec() {
    return agents.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue().getHostString() + ":" + e.getValue().getPort())
        .collect(Collectors.joining(","));
  }

  @Override
  public String toString() {
    return agents.toString();
  }
}
