package io.dmerge.runner.execute.process;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.junit.jupiter.api.Test;

class JavaBytesTest {
  /** Captured by a lambda; its name is changed in the bytes to one no class has. */
  static final class Captured implements Serializable {
    final int value = 7;
  }

  @Test
  void aClassMissingInsideALambdaIsNamedNotHiddenBehindAClassCastException() {
    Captured captured = new Captured();
    SerializableFunction<Integer, Integer> fn = x -> x + captured.value;
    byte[] bytes = JavaBytes.of(new Holder(fn));
    String name = Captured.class.getName();
    String gone = name.replace("Captured", "Vanished");
    byte[] renamed = replace(bytes, name, gone);

    ClassNotFoundException e = assertThrows(ClassNotFoundException.class, () -> JavaBytes.read(renamed));
    assertTrue(e.getMessage().contains(gone), e.getMessage());
    assertEquals(8, ((Holder) assertDoesNotThrow(() -> JavaBytes.read(bytes))).fn.apply(1));
  }

  /** A field of an interface type, which is what a SerializedLambda cannot be assigned to. */
  static final class Holder implements Serializable {
    final SerializableFunction<Integer, Integer> fn;

    Holder(SerializableFunction<Integer, Integer> fn) {
      this.fn = fn;
    }
  }

  /** Replaces a same-length string in serialized bytes (class names are stored as modified UTF-8). */
  private static byte[] replace(byte[] bytes, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.UTF_8);
    byte[] t = to.getBytes(StandardCharsets.UTF_8);
    assertEquals(f.length, t.length);
    byte[] out = bytes.clone();
    int found = 0;
    for (int i = 0; i + f.length <= out.length; i++) {
      boolean match = true;
      for (int j = 0; j < f.length && match; j++) {
        match = out[i + j] == f[j];
      }
      if (match) {
        System.arraycopy(t, 0, out, i, t.length);
        found++;
      }
    }
    assertTrue(found > 0, "the class name is in the bytes");
    return out;
  }
}
