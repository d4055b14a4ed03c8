package io.dmerge.runner.execute.process;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Output;
import io.dmerge.runner.execute.TaskSpec;

/** Prints, as markdown rows, the bytes each form of each {@link ControlFixture} message takes on the wire. */
public final class MessageSizes {
  private MessageSizes() {}

  public static void main(String[] args) throws Exception {
    ControlFixture f = new ControlFixture();
    Kryo kryo = ControlCodec.kryo();
    System.out.println("| message | Java-serialized (before) | after | after, first task of a stage on a worker |");
    System.out.println("| --- | ---: | ---: | ---: |");
    for (String name : new String[] {"chain", "merge"}) {
      TaskSpec task = name.equals("chain") ? f.chainTask : f.mergeTask;
      StageTemplates.Serialized t = new StageTemplates().of(task);
      System.out.printf(
          "| task of the %s stage | %d | %d | %d |%n", name, JavaBytes.of(task).length,
          kryo(kryo, TaskEnvelope.of(task, t, true)), kryo(kryo, TaskEnvelope.of(task, t, false)));
    }
    System.out.printf("| task result | %d | %d | |%n", JavaBytes.of(f.result).length, kryo(kryo, f.result));
    System.out.printf("| attach | %d | %d | |%n", JavaBytes.of(f.job).length, kryo(kryo, f.attach));
  }

  private static int kryo(Kryo kryo, Object message) {
    Output out = new Output(4096, -1);
    kryo.writeClassAndObject(out, message);
    return out.position();
  }
}
