package io.dmerge.runner.execute.process;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.shuffle.RegionRef;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;

/**
 * The task result encoding the runner measured and did not adopt: region refs with Kryo, the
 * metrics map as Java bytes. Kept here so the comparison in bench/README.md can be reproduced.
 */
final class KryoRegionsResultSerializer extends Serializer<TaskResult> {
  @Override
  public void write(Kryo kryo, Output out, TaskResult result) {
    out.writeVarInt(result.regions().size(), true);
    for (Map.Entry<String, RegionRef> e : result.regions().entrySet()) {
      out.writeString(e.getKey());
      kryo.writeObject(out, e.getValue());
    }
    byte[] metrics = JavaBytes.of(result.metrics());
    out.writeVarInt(metrics.length, true);
    out.writeBytes(metrics);
  }

  @Override
  public TaskResult read(Kryo kryo, Input in, Class<? extends TaskResult> type) {
    int n = in.readVarInt(true);
    Map<String, RegionRef> regions = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      regions.put(in.readString(), kryo.readObject(in, RegionRef.class));
    }
    try {
      return new TaskResult(regions, (MetricsContainerStepMap) JavaBytes.read(in.readBytes(in.readVarInt(true))));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
