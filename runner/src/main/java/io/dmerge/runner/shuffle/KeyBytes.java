package io.dmerge.runner.shuffle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.beam.sdk.coders.Coder;

/**
 * Encodes and decodes keys. Grouping compares encoded keys, which is why every shuffle key coder
 * must be deterministic (checked at translation).
 */
public final class KeyBytes<K> {
  private final Coder<K> coder;
  private final ExposedBuffer scratch = new ExposedBuffer();
  private final ByteBufferInputStream in = new ByteBufferInputStream();

  public KeyBytes(Coder<K> coder) {
    this.coder = coder;
  }

  public byte[] encode(K key) throws IOException {
    scratch.reset();
    coder.encode(key, scratch);
    return scratch.toByteArray();
  }

  public K decode(ByteBuffer bytes) throws IOException {
    return coder.decode(in.reset(bytes.duplicate()));
  }

  private static final class ExposedBuffer extends ByteArrayOutputStream {
    ExposedBuffer() {
      super(64);
    }
  }
}
