package io.dmerge.runner.execute.process;

import io.dmerge.shuffle.AccessKey;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * What a worker that connects to the driver over the network says first, before any control
 * frame: the job's secret token, so that nobody else who can reach the driver's port gets tasks or
 * feeds it results; the worker's name, so that the driver knows which of its workers this is; and
 * its node's name (empty if unknown), so that the driver attaches it to the job's regions on that
 * node. Plain strings of at most 64 KiB, read unbuffered, so that nothing of the control channel
 * that follows is consumed here.
 */
public final class WorkerHandshake {
  /** Environment variable that carries the job's token to a worker. */
  public static final String TOKEN_ENV = "DMERGE_WORKER_TOKEN";
  /** Environment variable that carries a worker's name, e.g. its pod's. */
  public static final String NAME_ENV = "DMERGE_WORKER_NAME";
  /** Environment variable that carries the name of a worker's node, e.g. from the downward API. */
  public static final String NODE_ENV = "DMERGE_NODE_NAME";

  private WorkerHandshake() {}

  /** Who connected: the worker's name and its node's. */
  public record Greeting(String name, String node) {}

  public static void send(OutputStream out, String token, String name, String node) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeUTF(token);
    data.writeUTF(name);
    data.writeUTF(node);
    data.flush();
  }

  /** Who is connecting; an {@link IOException} if it does not present {@code token}. */
  public static Greeting receive(InputStream in, AccessKey token) throws IOException {
    DataInputStream data = new DataInputStream(in);
    String presented = data.readUTF();
    String name = data.readUTF();
    String node = data.readUTF();
    AccessKey key;
    try {
      key = AccessKey.fromHex(presented);
    } catch (IllegalArgumentException e) {
      throw new IOException("a connection presented no job token");
    }
    if (!token.matches(key)) {
      throw new IOException("a connection claiming to be worker '" + name + "' presented a wrong job token");
    }
    return new Greeting(name, node);
  }
}
