package io.dmerge.shuffle.remote;

import io.dmerge.shuffle.AccessKey;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The node agent's wire format, version 1: one request and one answer per connection, integers
 * big-endian, strings UTF-8.
 *
 * <pre>
 * request                                answer
 *   0  4  magic "DMRA"                     0  4  magic "DMRA"
 *   4  2  version (1)                      4  2  version (1)
 *   6  2  node name length N               6  1  status (OK, ACCESS_DENIED, UNKNOWN_REGION, ERROR)
 *   8  2  job id length J                  7  8  OK: the region's size; else the message's length
 *  10  2  region id length R              15     OK: the region's bytes; else a UTF-8 message
 *  12 16  access key
 *  28     node name, job id, region id
 * </pre>
 */
final class AgentProtocol {
  static final int MAGIC = 0x444D5241; // "DMRA"
  static final short VERSION = 1;
  static final byte OK = 0;
  static final byte ACCESS_DENIED = 1;
  static final byte UNKNOWN_REGION = 2;
  static final byte ERROR = 3;

  private static final int REQUEST_HEADER = 28;
  private static final int ANSWER_HEADER = 15;
  /** Longest name a request may carry, and longest error message an answer may carry. */
  private static final int MAX_NAME = 1024;
  private static final int MAX_MESSAGE = 64 << 10;

  private AgentProtocol() {}

  /** What a consumer asks for: a region of a job on the agent's node, with the region's key. */
  record Request(String node, String jobId, String regionId, AccessKey key) {}

  /** The fixed part of an answer: for OK, {@code length} bytes of region follow; else a message of that length. */
  record Answer(byte status, long length) {}

  static ByteBuffer request(Request r) {
    byte[] node = utf8(r.node());
    byte[] job = utf8(r.jobId());
    byte[] id = utf8(r.regionId());
    ByteBuffer b = ByteBuffer.allocate(REQUEST_HEADER + node.length + job.length + id.length);
    b.putInt(MAGIC).putShort(VERSION);
    b.putShort((short) node.length).putShort((short) job.length).putShort((short) id.length);
    b.put(r.key().bytes()).put(node).put(job).put(id);
    return b.flip();
  }

  static Request readRequest(Connection c) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(REQUEST_HEADER);
    c.readFully(h);
    h.flip();
    checkMagicAndVersion(h, "request");
    int node = name(h.getShort());
    int job = name(h.getShort());
    int id = name(h.getShort());
    byte[] key = new byte[AccessKey.BYTES];
    h.get(key);
    ByteBuffer names = ByteBuffer.allocate(node + job + id);
    c.readFully(names);
    names.flip();
    AccessKey presented = AccessKey.fromBytes(key);
    return new Request(string(names, node), string(names, job), string(names, id), presented);
  }

  static ByteBuffer answer(byte status, long length) {
    return ByteBuffer.allocate(ANSWER_HEADER).putInt(MAGIC).putShort(VERSION).put(status).putLong(length).flip();
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
    ByteBuffer h = ByteBuffer.allocate(ANSWER_HEADER);
    c.readFully(h);
    h.flip();
    checkMagicAndVersion(h, "answer");
    byte status = h.get();
    long length = h.getLong();
    if (status < OK || status > ERROR || length < 0 || (status != OK && length > MAX_MESSAGE)) {
      throw new ProtocolException("malformed answer: status " + status + ", length " + length);
    }
    return new Answer(status, length);
  }

  static String readMessage(Connection c, Answer a) throws IOException {
    ByteBuffer m = ByteBuffer.allocate((int) a.length());
    c.readFully(m);
    return new String(m.array(), StandardCharsets.UTF_8);
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
      throw new ProtocolException("a name in the request has " + n + " bytes, more than " + MAX_NAME);
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

