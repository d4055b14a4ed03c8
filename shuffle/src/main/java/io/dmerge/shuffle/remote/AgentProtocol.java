package io.dmerge.shuffle.remote;

import io.dmerge.shuffle.AccessKey;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The node agent's wire format, version 2: one request per connection, integers big-endian,
 * strings UTF-8 (at most 1024 bytes each).
 *
 * <pre>
 * request                                 answer
 *   0  4  magic "DMRA"                       0  4  magic "DMRA"
 *   4  2  version (2)                        4  2  version (2)
 *   6  1  op (FETCH, HOLD)                   6  1  status (OK, ACCESS_DENIED, UNKNOWN_REGION, ERROR)
 *   7  2  node name length N                 7  8  OK: the payload's length; else the message's length
 *   9  2  job id length J                   15     OK: the payload; else a UTF-8 message
 *  11     FETCH: 2 region id length R, 16 access key, then node name, job id, region id
 *         HOLD:  8 memory budget, then node name, job id
 * </pre>
 *
 * A FETCH's payload is the region's bytes. A HOLD's payload is the job's memory root and spill root
 * on the agent's node (each a 2-byte length and the path); after it, the connection stays open as
 * the hold: the holder sends RELEASE frames (2-byte region id length, region id), which are not
 * answered, and ends the hold by shutting down its side, after which the agent deletes the job's
 * directories and closes the connection.
 */
final class AgentProtocol {
  static final int MAGIC = 0x444D5241; // "DMRA"
  static final short VERSION = 2;
  static final byte FETCH = 1;
  static final byte HOLD = 2;
  static final byte OK = 0;
  static final byte ACCESS_DENIED = 1;
  static final byte UNKNOWN_REGION = 2;
  static final byte ERROR = 3;

  private static final int COMMON_HEADER = 11;
  private static final int FETCH_HEADER = 2 + AccessKey.BYTES;
  private static final int HOLD_HEADER = 8;
  private static final int ANSWER_HEADER = 15;
  /** Longest name a request may carry, and longest error message an answer may carry. */
  private static final int MAX_NAME = 1024;
  private static final int MAX_MESSAGE = 64 << 10;

  private AgentProtocol() {}

  /** What a peer asks the agent for, about a job on the agent's node. */
  sealed interface Request permits Fetch, Hold {
    String node();

    String jobId();
  }

  /** A consumer's request for a region, with the region's key. */
  record Fetch(String node, String jobId, String regionId, AccessKey key) implements Request {}

  /** A driver's request to hold the job's directories on the node for as long as the connection lasts. */
  record Hold(String node, String jobId, long memoryBudget) implements Request {}

  /** The fixed part of an answer: for OK, a payload of {@code length} bytes follows; else a message of that length. */
  record Answer(byte status, long length) {}

  /** The directories a HOLD made for the job on the agent's node. */
  record Roots(String memoryRoot, String spillRoot) {}

  static ByteBuffer request(Fetch r) {
    byte[] id = utf8(r.regionId());
    Names names = new Names(r);
    ByteBuffer b = names.header(FETCH, FETCH_HEADER + id.length);
    b.putShort((short) id.length).put(r.key().bytes());
    return names.put(b).put(id).flip();
  }

  static ByteBuffer request(Hold r) {
    Names names = new Names(r);
    return names.put(names.header(HOLD, HOLD_HEADER).putLong(r.memoryBudget())).flip();
  }

  /** The node name and job id every request carries, encoded. */
  private record Names(byte[] node, byte[] job) {
    Names(Request r) {
      this(utf8(r.node()), utf8(r.jobId()));
    }

    /** The common header, with room for the op's own part ({@code extra} bytes) and the names. */
    ByteBuffer header(byte op, int extra) {
      ByteBuffer b = ByteBuffer.allocate(COMMON_HEADER + extra + node.length + job.length);
      return b.putInt(MAGIC).putShort(VERSION).put(op).putShort((short) node.length).putShort((short) job.length);
    }

    ByteBuffer put(ByteBuffer b) {
      return b.put(node).put(job);
    }
  }

  static Request readRequest(Connection c) throws IOException {
    ByteBuffer h = read(c, COMMON_HEADER);
    checkMagicAndVersion(h, "request");
    byte op = h.get();
    int node = name(h.getShort());
    int job = name(h.getShort());
    switch (op) {
      case FETCH -> {
        ByteBuffer f = read(c, FETCH_HEADER);
        int id = name(f.getShort());
        byte[] key = new byte[AccessKey.BYTES];
        f.get(key);
        ByteBuffer names = read(c, node + job + id);
        return new Fetch(string(names, node), string(names, job), string(names, id), AccessKey.fromBytes(key));
      }
      case HOLD -> {
        long budget = read(c, HOLD_HEADER).getLong();
        ByteBuffer names = read(c, node + job);
        return new Hold(string(names, node), string(names, job), budget);
      }
      default -> throw new ProtocolException("unknown Dmerge agent request " + op);
    }
  }

  static ByteBuffer answer(byte status, long length) {
    return ByteBuffer.allocate(ANSWER_HEADER).putInt(MAGIC).putShort(VERSION).put(status).putLong(length).flip();
  }

  /** A HOLD's answer: OK and the job's roots on the node. */
  static ByteBuffer held(Roots roots) {
    byte[] memory = utf8(roots.memoryRoot());
    byte[] spill = utf8(roots.spillRoot());
    int length = 4 + memory.length + spill.length;
    ByteBuffer b = ByteBuffer.allocate(ANSWER_HEADER + length).put(answer(OK, length));
    return b.putShort((short) memory.length).put(memory).putShort((short) spill.length).put(spill).flip();
  }

  static Roots readRoots(Connection c, Answer a) throws IOException {
    if (a.length() > 4 + 2 * MAX_NAME) {
      throw new ProtocolException("malformed hold answer of " + a.length() + " bytes");
    }
    ByteBuffer b = read(c, (int) a.length());
    String memory = string(b, name(b.getShort()));
    return new Roots(memory, string(b, name(b.getShort())));
  }

  /** A failure answer: header and message in one buffer. */
  static ByteBuffer failure(byte status, String message) {
    byte[] m = message.getBytes(StandardCharsets.UTF_8);
    if (m.length > MAX_MESSAGE) {
      m = Arrays.copyOf(m, MAX_MESSAGE); // may cut a character: the message is for people
    }
    ByteBuffer b = ByteBuffer.allocate(ANSWER_HEADER + m.length);
    b.put(answer(status, m.length)).put(m);
    return b.flip();
  }

  static Answer readAnswer(Connection c) throws IOException {
    ByteBuffer h = read(c, ANSWER_HEADER);
    checkMagicAndVersion(h, "answer");
    byte status = h.get();
    long length = h.getLong();
    if (status < OK || status > ERROR || length < 0 || (status != OK && length > MAX_MESSAGE)) {
      throw new ProtocolException("malformed answer: status " + status + ", length " + length);
    }
    return new Answer(status, length);
  }

  static String readMessage(Connection c, Answer a) throws IOException {
    return new String(read(c, (int) a.length()).array(), StandardCharsets.UTF_8);
  }

  /** A RELEASE frame of a hold. */
  static ByteBuffer release(String regionId) {
    byte[] id = utf8(regionId);
    return ByteBuffer.allocate(2 + id.length).putShort((short) id.length).put(id).flip();
  }

  /** The region id of the hold's next RELEASE frame, or null once the holder has ended the hold. */
  static String readRelease(Connection c) throws IOException {
    ByteBuffer length = ByteBuffer.allocate(2);
    if (c.read(length) < 0) {
      return null;
    }
    c.readFully(length);
    int id = name(length.flip().getShort());
    return string(read(c, id), id);
  }

  private static ByteBuffer read(Connection c, int bytes) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(bytes);
    c.readFully(b);
    return b.flip();
  }

  private static void checkMagicAndVersion(ByteBuffer h, String what) throws ProtocolException {
    int magic = h.getInt();
    if (magic != MAGIC) {
      throw new ProtocolException("not a Dmerge agent " + what + " (magic " + Integer.toHexString(magic) + ")");
    }
    short version = h.getShort();
    if (version != VERSION) {
      throw new ProtocolException(
          "Dmerge agent protocol version " + version + " in the " + what + ", this side speaks " + VERSION);
    }
  }

  private static int name(short length) throws ProtocolException {
    int n = Short.toUnsignedInt(length);
    if (n > MAX_NAME) {
      throw new ProtocolException("a name in the message has " + n + " bytes, more than " + MAX_NAME);
    }
    return n;
  }

  private static String string(ByteBuffer b, int length) {
    byte[] s = new byte[length];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > MAX_NAME) {
      throw new IllegalArgumentException("'" + s + "' is longer than " + MAX_NAME + " bytes");
    }
    return b;
  }
}
