package io.dmerge.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** A tiny RESP2 client for SET and GET of large binary values, reading replies straight into the caller's buffer. */
final class Resp implements AutoCloseable {
  private final SocketChannel ch;
  private final ByteBuffer one = ByteBuffer.allocate(1);

  Resp(int port) throws IOException {
    ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
    ch.socket().setTcpNoDelay(true);
  }

  void set(String key, ByteBuffer value) throws IOException {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    String head = "*3\r\n$3\r\nSET\r\n$" + k.length + "\r\n" + key + "\r\n$" + value.remaining() + "\r\n";
    writeFully(ByteBuffer.wrap(head.getBytes(StandardCharsets.UTF_8)));
    writeFully(value.duplicate());
    writeFully(ByteBuffer.wrap(new byte[] {'\r', '\n'}));
    String reply = line();
    if (!reply.equals("+OK")) {
      throw new IOException("SET " + key + ": " + reply);
    }
  }

  /** GETs {@code key} into {@code into} (from its position); returns the value's length. */
  int get(String key, ByteBuffer into) throws IOException {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    writeFully(ByteBuffer.wrap(("*2\r\n$3\r\nGET\r\n$" + k.length + "\r\n" + key + "\r\n").getBytes(StandardCharsets.UTF_8)));
    String head = line();
    if (!head.startsWith("$") || head.equals("$-1")) {
      throw new IOException("GET " + key + ": " + head);
    }
    int length = Integer.parseInt(head.substring(1));
    ByteBuffer dst = into.duplicate();
    dst.limit(dst.position() + length);
    while (dst.hasRemaining()) {
      if (ch.read(dst) < 0) {
        throw new IOException("redis closed the connection");
      }
    }
    line(); // the CRLF after the value
    return length;
  }

  void command(String... args) throws IOException {
    StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
    }
    writeFully(ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
    String reply = line();
    if (reply.startsWith("-")) {
      throw new IOException(String.join(" ", args) + ": " + reply);
    }
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    while (true) {
      one.clear();
      if (ch.read(one) < 0) {
        throw new IOException("redis closed the connection");
      }
      char c = (char) one.get(0);
      if (c == '\n' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
        return sb.substring(0, sb.length() - 1);
      }
      sb.append(c);
    }
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
