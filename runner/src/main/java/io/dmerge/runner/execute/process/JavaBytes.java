package io.dmerge.runner.execute.process;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.RowWithGetters;

/**
 * Java serialization of the user objects inside control messages (DoFns, coders, sources,
 * exceptions): Beam's contract makes them Serializable, not Kryo-safe. Plain object streams, not
 * Beam's SerializableUtils, which Snappy-compresses: a local pipe gains nothing from compression.
 */
final class JavaBytes {
  private JavaBytes() {}

  static byte[] of(Object value) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new RowValuesObjectOutputStream(bytes)) {
      out.writeObject(value);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize " + value.getClass().getName(), e);
    }
    return bytes.toByteArray();
  }

  static Object read(byte[] bytes) throws IOException, ClassNotFoundException {
    try (ContextObjectInputStream in = new ContextObjectInputStream(new ByteArrayInputStream(bytes))) {
      try {
        return in.readObject();
      } catch (IOException | RuntimeException e) {
        // A class missing deep inside (say, in a lambda's captured values) surfaces as a
        // ClassCastException about SerializedLambda; name the class instead.
        if (in.missing != null && !(e.getCause() instanceof ClassNotFoundException)) {
          ClassNotFoundException named =
              new ClassNotFoundException(
                  "class " + in.missing + " is not on this JVM's class path"
                      + " (a class generated at run time exists only in the JVM that generated it)",
                  in.missingCause);
          named.addSuppressed(e);
          throw named;
        }
        throw e;
      }
    }
  }

  /**
   * Writes each {@link RowWithGetters} (a row that reads a user object through getters Beam
   * generated in this JVM, e.g. the expected values a test captures) as a row of its values: the
   * generated classes do not exist in the JVM that reads the bytes.
   */
  private static final class RowValuesObjectOutputStream extends ObjectOutputStream {
    RowValuesObjectOutputStream(OutputStream out) throws IOException {
      super(out);
      enableReplaceObject(true);
    }

    @Override
    protected Object replaceObject(Object obj) {
      if (obj instanceof RowWithGetters) {
        Row row = (Row) obj;
        // getValue, not getValues: only it turns nested user objects into rows.
        List<Object> values = new ArrayList<>(row.getFieldCount());
        for (int i = 0; i < row.getFieldCount(); i++) {
          values.add(row.getValue(i));
        }
        return Row.withSchema(row.getSchema()).attachValues(values);
      }
      return obj;
    }
  }

  /** Resolves classes through the thread's context loader, where user code lives. */
  private static final class ContextObjectInputStream extends ObjectInputStream {
    /** The first class that could not be found, which a later error may hide. */
    private String missing;
    private ClassNotFoundException missingCause;

    ContextObjectInputStream(ByteArrayInputStream in) throws IOException {
      super(in);
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
      try {
        return Class.forName(desc.getName(), false, Thread.currentThread().getContextClassLoader());
      } catch (ClassNotFoundException e) {
        try {
          return super.resolveClass(desc);
        } catch (ClassNotFoundException notFound) {
          if (missing == null) {
            missing = desc.getName();
            missingCause = notFound;
          }
          throw notFound;
        }
      }
    }
  }
}
