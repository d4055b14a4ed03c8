package io.dmerge.runner.execute;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.StructuralByteArray;
import org.apache.beam.sdk.transforms.Materializations.MultimapView;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;

/**
 * A multimap side input whose keys match by their encoding with the view's key coder, as in
 * Beam's portable model. runners-core's in-memory view compares keys with {@code equals} when the
 * coder says it is consistent with it, and schema {@code Row}s are equal only with equal schemas:
 * a schema join looks up a row selected from one input in a view keyed by rows of another input's
 * schema, which encode alike but are not equal.
 */
final class EncodedKeyMultimapView<K, V> implements MultimapView<K, V> {
  private final Coder<K> keyCoder;
  private final Map<StructuralByteArray, KV<K, List<V>>> byKey = new LinkedHashMap<>();

  private EncodedKeyMultimapView(Coder<K> keyCoder) {
    this.keyCoder = keyCoder;
  }

  static <K, V> EncodedKeyMultimapView<K, V> of(Coder<K> keyCoder, Iterable<KV<K, V>> elements) throws CoderException {
    EncodedKeyMultimapView<K, V> view = new EncodedKeyMultimapView<>(keyCoder);
    for (KV<K, V> element : elements) {
      StructuralByteArray key = new StructuralByteArray(CoderUtils.encodeToByteArray(keyCoder, element.getKey()));
      view.byKey.computeIfAbsent(key, k -> KV.of(element.getKey(), new ArrayList<>())).getValue().add(element.getValue());
    }
    return view;
  }

  @Override
  public Iterable<K> get() {
    List<K> keys = new ArrayList<>(byKey.size());
    byKey.values().forEach(kv -> keys.add(kv.getKey()));
    return Collections.unmodifiableList(keys);
  }

  @Override
  public Iterable<V> get(K key) {
    byte[] encoded;
    try {
      encoded = CoderUtils.encodeToByteArray(keyCoder, key);
    } catch (CoderException | RuntimeException e) {
      return Collections.emptyList(); // a key the coder cannot encode (null, to most coders) is in no view of it
    }
    KV<K, List<V>> values = byKey.get(new StructuralByteArray(encoded));
    return values == null ? Collections.emptyList() : Collections.unmodifiableList(values.getValue());
  }
}
