package io.dmerge.runner.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLauncherTest {
  private static final String HEAD = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"test\",\"type\":\"run\"";

  @Test
  void takesTheArgumentsFromJsonDataAJsonStringOrBase64() {
    String args = "{\"args\":[\"--input=/data/in.txt\",\"--output=/data/out\"]}";
    List<String> expected = List.of("--input=/data/in.txt", "--output=/data/out");
    assertEquals(expected, EventLauncher.eventArguments(HEAD + ",\"data\":" + args + "}", "e"));
    assertEquals(expected, EventLauncher.eventArguments(HEAD + ",\"data\":\"" + args.replace("\"", "\\\"") + "\"}", "e"));
    String b64 = Base64.getEncoder().encodeToString(args.getBytes(StandardCharsets.UTF_8));
    assertEquals(expected, EventLauncher.eventArguments(HEAD + ",\"data_base64\":\"" + b64 + "\"}", "e"));
  }

  /** A stand-in pipeline main class. */
  public static final class RecordingMain {
    static List<String> received;

    public static void main(String[] args) {
      received = List.of(args);
    }
  }

  @Test
  void runsTheMainClassWithTheFixedArgumentsThenTheEvents(@TempDir Path dir) throws Throwable {
    Path event = Files.writeString(dir.resolve("event"), HEAD + ",\"data\":{\"args\":[\"--output=/o\"]}}");
    EventLauncher.run(new String[] {RecordingMain.class.getName(), "--runner=DmergeRunner"}, event);
    assertEquals(List.of("--runner=DmergeRunner", "--output=/o"), RecordingMain.received);
  }

  @Test
  void anEventWithoutArgumentsOnlyTriggersTheRun() {
    assertEquals(List.of(), EventLauncher.eventArguments(HEAD + "}", "e"));
    assertEquals(List.of(), EventLauncher.eventArguments(HEAD + ",\"data\":{\"other\":1}}", "e"));
  }

  @Test
  void aMalformedEventIsRefusedNamingTheProblem() {
    IllegalArgumentException notJson = assertThrows(IllegalArgumentException.class, () -> EventLauncher.eventArguments("{oops", "/ev"));
    assertTrue(notJson.getMessage().startsWith("event /ev: its event is not JSON"), notJson.getMessage());
    IllegalArgumentException notArray =
        assertThrows(IllegalArgumentException.class, () -> EventLauncher.eventArguments(HEAD + ",\"data\":{\"args\":\"--x\"}}", "/ev"));
    assertTrue(notArray.getMessage().contains("data.args must be an array of strings"), notArray.getMessage());
    IllegalArgumentException notStrings =
        assertThrows(IllegalArgumentException.class, () -> EventLauncher.eventArguments(HEAD + ",\"data\":{\"args\":[1]}}", "/ev"));
    assertTrue(notStrings.getMessage().contains("only strings"), notStrings.getMessage());
  }
}
