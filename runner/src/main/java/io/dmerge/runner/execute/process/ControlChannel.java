package io.dmerge.runner.execute.process;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One end of the driver–worker control channel: length-prefixed Kryo frames (see
 * {@link ControlCodec}) over the worker's connection to the driver. Only control messages travel here;
 * element data always goes through Dmerge regions. Anything that is not a well-formed frame is an
 * {@link IOException}, which the driver treats as a lost worker. One thread may read while others
 * write (a worker reads on a thread of its own): each direction has its own Kryo and buffer, reused
 * across messages, and writes are synchronized on the channel.
 */
final class ControlChannel implements Closeable {
  // Far above any real message (a stage template is kilobytes to a few megabytes): a larger
  // length means the stream is not ours, e.g. something other than a worker at the other end.
  private static final int MAX_FRAME_BYTES = 1 << 30;

  private final DataInputStream in;
  private final DataOutputStream out;
  private final Kryo writer = ControlCodec.kryo();
  private final Kryo reader = ControlCodec.kryo();
  private final Output output = new Output(4096, -1);
  private final Input input = new Input();
  private byte[] frame = new byte[4096];

  ControlChannel(InputStream in, OutputStream out) {
    this.in = new DataInputStream(new BufferedInputStream(in));
    this.out = new DataOutputStream(new BufferedOutputStream(out));
  }

  synchronized void write(Object message) throws IOException {
    output.reset();
    writer.writeClassAndObject(output, message);
    out.writeInt(output.position());
    out.write(output.getBuffer(), 0, output.position());
    out.flush();
  }

  /** The next message, or null at a clean end of stream. */
  Object read() throws IOException {
    int length;
    try {
      length = in.readInt();
    } catch (EOFException e) {
      return null;
    }
    if (length <= 0 || length > MAX_FRAME_BYTES) {
      throw new IOException("not a control frame: length " + length);
    }
    if (frame.length < length) {
      frame = new byte[length];
    }
    in.readFully(frame, 0, length);
    input.setBuffer(frame, 0, length);
    Object message;
    try {
      message = reader.readClassAndObject(input);
    } catch (RuntimeException e) {
      // Kryo's buffer underflows, unknown class ids, and embedded Java bytes that do not read.
      throw new IOException("undecodable control frame of " + length + " bytes", e);
    }
    if (input.position() != length) {
      throw new IOException("control frame of " + length + " bytes has " + (length - input.position()) + " extra");
    }
    return message;
  }

  /** Closing the driver's end asks the worker to exit. */
  @Override
  public void close() throws IOException {
    out.close();
  }
}
