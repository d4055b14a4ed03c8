package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.ShuffleReader;
import io.dmerge.shuffle.Dmerge;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.SideInputHandler;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * Reads a task's side inputs from their regions into runners-core's SideInputHandler, which
 * applies each view's ViewFn per window. A window with no elements reads as empty; a view's value
 * for a window is built once per task.
 */
final class SideInputs implements SideInputReader {
  private final SideInputHandler handler;
  private final Map<PCollectionView<?>, Map<BoundedWindow, Object>> cache = new HashMap<>();

  private SideInputs(SideInputHandler handler) {
    this.handler = handler;
  }

  static SideInputReader read(Collection<SideInputData> sideInputs, Dmerge dmerge) throws Exception {
    if (sideInputs.isEmpty()) {
      return NullSideInputReader.empty();
    }
    List<PCollectionView<?>> views = new ArrayList<>();
    sideInputs.forEach(s -> views.add(s.view()));
    SideInputHandler handler = new SideInputHandler(views, InMemoryStateInternals.forKey(null));
    for (SideInputData data : sideInputs) {
      Map<BoundedWindow, List<Object>> byWindow = new LinkedHashMap<>();
      @SuppressWarnings({"unchecked", "rawtypes"})
      ShuffleReader.Decoder<WindowedValue<Object>> decoder =
          new ShuffleReader.Decoder<>(
              (Coder) WindowedValues.getFullCoder(data.coder(), data.windowing().getWindowFn().windowCoder()));
      try (ShuffleReader reader = new ShuffleReader(dmerge, data.regions())) {
        reader.forEach(
            0,
            (key, value) -> {
              WindowedValue<Object> element = decoder.decode(value);
              for (BoundedWindow w : element.getWindows()) {
                byWindow.computeIfAbsent(w, x -> new ArrayList<>()).add(element.getValue());
              }
            });
      }
      byWindow.forEach(
          (window, values) ->
              handler.addSideInputValue(
                  data.view(), WindowedValues.of(values, window.maxTimestamp(), window, PaneInfo.NO_FIRING)));
    }
    return new SideInputs(handler);
  }

  @Override
  @SuppressWarnings("unchecked")
  public synchronized <T> T get(PCollectionView<T> view, BoundedWindow window) {
    return (T)
        cache
            .computeIfAbsent(view, v -> new HashMap<>())
            .computeIfAbsent(
                window,
                w -> {
                  if (!handler.isReady(view, w)) {
                    handler.addSideInputValue(view, WindowedValues.of(List.of(), w.maxTimestamp(), w, PaneInfo.NO_FIRING));
                  }
                  return handler.get(view, w);
                });
  }

  @Override
  public <T> boolean contains(PCollectionView<T> view) {
    return handler.contains(view);
  }

  @Override
  public boolean isEmpty() {
    return handler.isEmpty();
  }
}
