package io.dmerge.runner.launch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Runs a pipeline's main class once for a Knative JobSink event (the Knative variant,
 * {@code k8s/knative/}): Knative creates a Job per CloudEvent and mounts the event as JSON; the
 * event's data may carry the run's own arguments, {@code {"args": ["--input=...", ...]}}, which
 * follow the fixed ones.
 *
 * <pre>
 * java -cp ... io.dmerge.runner.launch.EventLauncher MAIN_CLASS [FIXED_ARGS...]
 * </pre>
 *
 * The event is read from {@code $DMERGE_EVENT_FILE}, else {@value #JOBSINK_EVENT}. A malformed
 * event fails before the pipeline starts, naming the file and what is wrong with it.
 */
public final class EventLauncher {
  static final String JOBSINK_EVENT = "/etc/jobsink-event/event";
  private static final ObjectMapper JSON = new ObjectMapper();

  private EventLauncher() {}

  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      throw new IllegalArgumentException("usage: EventLauncher MAIN_CLASS [FIXED_ARGS...]");
    }
    String file = System.getenv("DMERGE_EVENT_FILE");
    run(args, Path.of(file == null ? JOBSINK_EVENT : file));
  }

  /** Calls {@code args[0]}'s main with {@code args[1..]} and the event's arguments. */
  static void run(String[] args, Path event) throws Throwable {
    List<String> all = new ArrayList<>(List.of(args).subList(1, args.length));
    all.addAll(eventArguments(Files.readString(event), event.toString()));
    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) all.toArray(String[]::new));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** The {@code args} of a CloudEvent's data (JSON, or base64 of JSON); none when it has no data or no args. */
  static List<String> eventArguments(String cloudEvent, String source) {
    JsonNode event = parse(cloudEvent, source, "event");
    JsonNode data = event.path("data");
    JsonNode base64 = event.path("data_base64");
    if (data.isTextual()) {
      data = parse(data.asText(), source, "data");
    } else if (data.isMissingNode() && base64.isTextual()) {
      data = parse(decode(base64.asText(), source), source, "data_base64");
    }
    JsonNode args = data.path("args");
    if (args.isMissingNode() || args.isNull()) {
      return List.of();
    }
    if (!args.isArray()) {
      throw new IllegalArgumentException("event " + source + ": data.args must be an array of strings, got " + args.getNodeType());
    }
    List<String> out = new ArrayList<>();
    for (JsonNode a : args) {
      if (!a.isTextual()) {
        throw new IllegalArgumentException("event " + source + ": data.args must hold only strings, got " + a);
      }
      out.add(a.asText());
    }
    return out;
  }

  private static JsonNode parse(String json, String source, String what) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("event " + source + ": its " + what + " is not JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static String decode(String base64, String source) {
    try {
      return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("event " + source + ": data_base64 is not base64", e);
    }
  }
}
