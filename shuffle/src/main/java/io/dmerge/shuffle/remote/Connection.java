package io.dmerge.shuffle.remote;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import jdk.net.ExtendedSocketOptions;

/**
 * One TCP connection between a consumer and a node agent, read and written through direct or
 * mapped buffers (a blocking {@link SocketChannel} ignores {@code SO_TIMEOUT}, so the channel is
 * non-blocking and every wait for progress goes through a selector with the timeout). A peer that
 * makes no progress for the timeout raises {@link SocketTimeoutException}, unless the connection
 * was made to last ({@link #lasting()}).
 */
final class Connection implements AutoCloseable {
  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  // Seconds of silence before TCP keep-alive probes start, between probes, and probes unanswered
  // before the kernel breaks a lasting connection: a peer whose machine vanished goes in a minute.
  private static final int KEEPALIVE_IDLE = 30;
  private static final int KEEPALIVE_INTERVAL = 10;
  private static final int KEEPALIVE_PROBES = 3;

  private long timeoutMillis;

  /** Takes ownership of {@code channel}, which must be connected. */
  Connection(SocketChannel channel, Duration timeout) throws IOException {
    this.channel = channel;
    this.timeoutMillis = Math.max(1, timeout.toMillis());
    try {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      channel.configureBlocking(false);
      this.selector = Selector.open();
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    this.key = channel.register(selector, 0);
  }

  /** Connects to {@code address}, waiting at most {@code timeout}. */
  static Connection open(InetSocketAddress address, Duration timeout) throws IOException {
    SocketChannel channel = SocketChannel.open();
    try {
      channel.socket().connect(address, (int) Math.max(1, timeout.toMillis()));
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    return new Connection(channel, timeout);
  }

  /**
   * From now on waits for the peer without a limit (a hold's driver may send nothing for as long as
   * its job runs), and lets TCP keep-alive break the connection if the peer's machine vanishes.
   */
  void lasting() throws IOException {
    timeoutMillis = 0;
    channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
    if (channel.supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPIDLE)) {
      channel.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, KEEPALIVE_IDLE);
      channel.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, KEEPALIVE_INTERVAL);
      channel.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, KEEPALIVE_PROBES);
    }
  }

  /** Tells the peer that this side sends nothing more; it can still read. */
  void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  /** Fills {@code buffer}; {@link EOFException} if the peer closes first. */
  void readFully(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      if (read(buffer) < 0) {
        throw new EOFException("connection closed by the peer");
      }
    }
  }

  /** Reads at least one byte into {@code buffer} (which must have room), or returns -1 at end of stream. */
  int read(ByteBuffer buffer) throws IOException {
    int n;
    while ((n = channel.read(buffer)) == 0) {
      await(SelectionKey.OP_READ);
    }
    return n;
  }

  void writeFully(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      if (channel.write(buffer) == 0) {
        await(SelectionKey.OP_WRITE);
      }
    }
  }

  private void await(int op) throws IOException {
    key.interestOps(op);
    while (true) {
      int ready = selector.select(timeoutMillis); // 0: no limit
      selector.selectedKeys().clear();
      if (ready > 0) {
        return;
      }
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedIOException("interrupted"); // the agent is closing
      }
      if (timeoutMillis > 0) {
        throw new SocketTimeoutException("no progress for " + timeoutMillis + " ms");
      }
    }
  }

  @Override
  public void close() throws IOException {
    try {
      selector.close();
    } finally {
      channel.close();
    }
  }
}
