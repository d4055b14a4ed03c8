package io.dmerge.runner.execute.process;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

/**
 * The driver–worker control channel: length-prefixed Java-serialized objects over the worker's
 * stdin and stdout. Only control messages travel here (task specs, results, failures); element
 * data always goes through Dmerge regions.
 */
final class Frames {
  private Frames() {}

  static void write(DataOutputStream out, Object message) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream oos = new ObjectOutputStream(bytes)) {
      oos.writeObject(message);
    }
    out.writeInt(bytes.size());
    bytes.writeTo(out);
    out.flush();
  }

  /** The next message, or null at a clean end of stream. */
  static Object read(DataInputStream in) throws IOException, ClassNotFoundException {
    int length;
    try {
      length = in.readInt();
    } catch (EOFException e) {
      return null;
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    try (ObjectInputStream ois = new ContextObjectInputStream(new ByteArrayInputStream(bytes))) {
      return ois.readObject();
    }
  }

  /** Resolves classes through the thread's context loader, where user code lives. */
  private static final class ContextObjectInputStream extends ObjectInputStream {
    ContextObjectInputStream(ByteArrayInputStream in) throws IOException {
      super(in);
    }

    @Override
    protected Class<?> resolveClass(java.io.ObjectStreamClass desc) throws IOException, ClassNotFoundException {
      try {
        return Class.forName(desc.getName(), false, Thread.currentThread().getContextClassLoader());
      } catch (ClassNotFoundException e) {
        return super.resolveClass(desc);
      }
    }
  }
}
