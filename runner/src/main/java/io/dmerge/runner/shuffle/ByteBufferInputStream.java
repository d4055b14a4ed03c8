package io.dmerge.runner.shuffle;

import java.io.InputStream;
import java.nio.ByteBuffer;

/** Lets a Beam coder decode straight from a mapped region view, without copying it first. */
final class ByteBufferInputStream extends InputStream {
  private ByteBuffer buffer;

  ByteBufferInputStream reset(ByteBuffer view) {
    this.buffer = view;
    return this;
  }

  @Override
  public int read() {
    return buffer.hasRemaining() ? buffer.get() & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (len == 0) {
      return 0;
    }
    if (!buffer.hasRemaining()) {
      return -1;
    }
    int n = Math.min(len, buffer.remaining());
    buffer.get(b, off, n);
    return n;
  }

  @Override
  public long skip(long n) {
    int k = (int) Math.min(n, buffer.remaining());
    buffer.position(buffer.position() + k);
    return k;
  }

  @Override
  public int available() {
    return buffer.remaining();
  }
}
