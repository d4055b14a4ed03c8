package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.RegionRef;
import io.dmerge.runner.shuffle.ShuffleReader;
import io.dmerge.shuffle.Dmerge;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.SideInputHandler;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.Materializations;
import org.apache.beam.sdk.transforms.Materializations.MultimapView;
import org.apache.beam.sdk.transforms.ViewFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * Reads a task's side inputs from their regions into runners-core's SideInputHandler, which
 * applies each view's ViewFn per window; multimap views get an {@link EncodedKeyMultimapView}
 * instead. A window with no elements reads as empty; a view's value for a window is built once
 * per task. In a streaming job a window shows its latest firing.
 */
final class SideInputs implements SideInputReader {
  private final SideInputHandler handler;
  // Multimap views' elements per window: their keys are matched by encoding, not by the handler.
  private final Map<PCollectionView<?>, Map<BoundedWindow, List<Object>>> multimaps = new HashMap<>();
  private final Map<PCollectionView<?>, Map<BoundedWindow, Object>> cache = new HashMap<>();
  // Per view, the windows a trigger has fired a pane into (elements of a grouping's output).
  private final Map<PCollectionView<?>, Set<BoundedWindow>> fired = new HashMap<>();
  private final Set<RegionRef> replaced = new HashSet<>();

  private SideInputs(SideInputHandler handler) {
    this.handler = handler;
  }

  static SideInputs read(Collection<SideInputData> sideInputs, Dmerge dmerge) throws Exception {
    List<PCollectionView<?>> views = new ArrayList<>();
    sideInputs.forEach(s -> views.add(s.view()));
    SideInputs inputs = new SideInputs(new SideInputHandler(views, InMemoryStateInternals.forKey(null)));
    for (SideInputData data : sideInputs) {
      Map<BoundedWindow, List<Object>> byWindow = new LinkedHashMap<>();
      @SuppressWarnings({"unchecked", "rawtypes"})
      ShuffleReader.Decoder<WindowedValue<Object>> decoder =
          new ShuffleReader.Decoder<>(
              (Coder) WindowedValues.getFullCoder(data.coder(), data.windowing().getWindowFn().windowCoder()));
      List<Set<BoundedWindow>> windowsOfRound = new ArrayList<>();
      // Per window a trigger fired a pane into, the last round that did.
      Map<BoundedWindow, Integer> lastFiring = new HashMap<>();
      for (List<RegionRef> round : data.rounds()) {
        Map<BoundedWindow, List<Object>> written = new LinkedHashMap<>();
        Set<BoundedWindow> firedNow = new HashSet<>();
        try (ShuffleReader reader = new ShuffleReader(dmerge, round)) {
          reader.forEach(
              0,
              (key, value) -> {
                WindowedValue<Object> element = decoder.decode(value);
                for (BoundedWindow w : element.getWindows()) {
                  written.computeIfAbsent(w, x -> new ArrayList<>()).add(element.getValue());
                  if (!PaneInfo.NO_FIRING.equals(element.getPaneInfo())) {
                    firedNow.add(w);
                  }
                }
              });
        }
        // A window's latest firing is what the view shows of it (as in the DirectRunner): an
        // accumulating trigger's pane holds everything so far, a discarding one's only what is new.
        // Elements that no trigger fired (no grouping before the view) add up over the rounds.
        written.forEach(
            (w, values) -> {
              if (firedNow.contains(w)) {
                byWindow.put(w, values);
              } else {
                byWindow.computeIfAbsent(w, x -> new ArrayList<>()).addAll(values);
              }
            });
        int r = windowsOfRound.size();
        firedNow.forEach(w -> lastFiring.put(w, r));
        windowsOfRound.add(written.keySet());
      }
      for (int r : replacedRounds(windowsOfRound, lastFiring)) {
        inputs.replaced.addAll(data.rounds().get(r));
      }
      inputs.fired.put(data.view(), lastFiring.keySet());
      if (isMultimap(data.view())) {
        inputs.multimaps.put(data.view(), byWindow);
      } else {
        byWindow.forEach(
            (window, values) ->
                inputs.handler.addSideInputValue(
                    data.view(), WindowedValues.of(values, window.maxTimestamp(), window, PaneInfo.NO_FIRING)));
      }
    }
    return inputs;
  }

  /**
   * The rounds whose every window a later round fired a pane into: what they wrote no longer shows,
   * so their regions can go.
   */
  static List<Integer> replacedRounds(List<Set<BoundedWindow>> windowsOfRound, Map<BoundedWindow, Integer> lastFiring) {
    List<Integer> out = new ArrayList<>();
    for (int r = 0; r < windowsOfRound.size(); r++) {
      int round = r;
      Set<BoundedWindow> windows = windowsOfRound.get(r);
      if (!windows.isEmpty() && windows.stream().allMatch(w -> lastFiring.getOrDefault(w, -1) > round)) {
        out.add(r);
      }
    }
    return out;
  }

  /** The side-input regions this task found wholly replaced by later firings. */
  Set<RegionRef> replaced() {
    return Set.copyOf(replaced);
  }

  /**
   * Whether a trigger has fired a pane of the view's input into this window: the view's contents
   * for it then exist, as the DirectRunner's, which groups every view's input, would see them.
   */
  boolean hasFiredPane(PCollectionView<?> view, BoundedWindow window) {
    return fired.getOrDefault(view, Set.of()).contains(window);
  }

  private static boolean isMultimap(PCollectionView<?> view) {
    return view.getViewFn().getMaterialization().getUrn().equals(Materializations.MULTIMAP_MATERIALIZATION_URN);
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
                  if (multimaps.containsKey(view)) {
                    return multimap(view, w);
                  }
                  if (!handler.isReady(view, w)) {
                    handler.addSideInputValue(view, WindowedValues.of(List.of(), w.maxTimestamp(), w, PaneInfo.NO_FIRING));
                  }
                  return handler.get(view, w);
                });
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Object multimap(PCollectionView<?> view, BoundedWindow window) {
    Coder<Object> keyCoder = ((KvCoder) view.getCoderInternal()).getKeyCoder();
    Iterable<KV<Object, Object>> elements = (Iterable) multimaps.get(view).getOrDefault(window, List.of());
    try {
      return ((ViewFn<MultimapView, Object>) view.getViewFn()).apply(EncodedKeyMultimapView.of(keyCoder, elements));
    } catch (CoderException e) {
      throw new IllegalStateException("cannot encode a key of side input " + view.getTagInternal().getId(), e);
    }
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
