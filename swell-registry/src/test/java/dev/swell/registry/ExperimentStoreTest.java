package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentStoreTest {

  @TempDir Path root;

  @Test
  void createReadChangeAndHistory() {
    FileModelRegistry registry = FileModelRegistry.builder(root).actor("alice").build();
    ExperimentStore store = registry.experiments();
    assertThat(store.get("fraud", "canary")).isEmpty();
    ExperimentRecord r1 = store.create("fraud", "canary", "{\"share\": 0.1}", "created", "10% canary");
    assertThat(r1.revision()).isEqualTo(1);
    assertThatThrownBy(() -> store.create("fraud", "canary", "{}", "created", "again"))
        .isInstanceOf(RegistryConflictException.class).hasMessageContaining("exists already");

    Optional<ExperimentRecord> r2 = store.compareAndSet("fraud", "canary", 1, "{\"share\": 0.2}", "ramp",
        "canary 10% -> 20%", "{\"from\": 0.1, \"to\": 0.2}");
    assertThat(r2).isPresent();
    assertThat(store.compareAndSet("fraud", "canary", 1, "{\"share\": 0.5}", "ramp", "stale", "{}"))
        .as("a change from a stale revision").isEmpty();

    ExperimentRecord read = FileModelRegistry.open(root).experiments().get("fraud", "canary").orElseThrow();
    assertThat(read.revision()).isEqualTo(2);
    assertThat(read.definition()).isEqualTo("{\"share\":0.2}");
    assertThat(read.history()).extracting(ExperimentChange::kind).containsExactly("created", "ramp");
    assertThat(read.history().get(1).figures()).isEqualTo("{\"from\":0.1,\"to\":0.2}");
    assertThat(read.history().get(1).actor()).isEqualTo("alice");
    assertThat(store.keys("fraud")).containsExactly("canary");

    List<RegistryEvent> events = registry.events("fraud");
    assertThat(events).extracting(RegistryEvent::type).containsOnly(RegistryEvent.Type.EXPERIMENT);
    assertThat(events).extracting(RegistryEvent::detail)
        .containsExactly("revision 1 created: 10% canary", "revision 2 ramp: canary 10% -> 20%");
  }

  @Test
  void badInputIsRefusedAndNothingIsWritten() {
    ExperimentStore store = FileModelRegistry.open(root).experiments();
    assertThatThrownBy(() -> store.create("fraud", "canary", "[1, 2]", "created", "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> store.create("fraud", "canary", "{oops", "created", "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> store.create("fraud", "../x", "{}", "created", "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("experiment key");
    assertThatThrownBy(() -> store.compareAndSet("fraud", "nothing", 1, "{}", "ramp", "x", "{}"))
        .isInstanceOf(RegistryConflictException.class).hasMessageContaining("does not exist");
    assertThat(store.keys("fraud")).isEmpty();
  }

  @Test
  void concurrentChangesFromManyThreadsAreEachAppliedOnce() throws Exception {
    ExperimentStore store = FileModelRegistry.open(root).experiments();
    store.create("m", "e", "{\"n\": 0}", "created", "counter");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      done.add(pool.submit(() -> {
        ExperimentStore own = FileModelRegistry.open(root).experiments();
        for (int i = 0; i < 25; i++) {
          while (true) {
            ExperimentRecord r = own.get("m", "e").orElseThrow();
            long n = Long.parseLong(r.definition().replaceAll("\\D", ""));
            if (own.compareAndSet("m", "e", r.revision(), "{\"n\": " + (n + 1) + "}", "inc", "+1", "{}")
                .isPresent()) {
              break;
            }
          }
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();
    ExperimentRecord r = store.get("m", "e").orElseThrow();
    assertThat(r.definition()).isEqualTo("{\"n\":100}");
    assertThat(r.revision()).isEqualTo(101);
    assertThat(r.history()).extracting(ExperimentChange::revision)
        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 101).boxed().toList());
  }

  @Test
  void oneLeaderAtATimeAcrossThreadsAndProcesses() throws Exception {
    ExperimentStore store = FileModelRegistry.open(root).experiments();
    try (AutoCloseable lead = store.tryLead("m", "e").orElseThrow()) {
      assertThat(FileModelRegistry.open(root).experiments().tryLead("m", "e")).as("same JVM").isEmpty();
      Process child = ChildJvm.start(LeadWorker.class, root.toString());
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).as("another process while this one leads").isEqualTo("not leader");
      child.waitFor();
    }
    Process child = ChildJvm.start(LeadWorker.class, root.toString());
    BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    assertThat(out.readLine()).as("another process after this one let go").isEqualTo("leader");
    child.waitFor();
    assertThat(store.tryLead("m", "e")).as("the child's lock went with it").isPresent().get()
        .satisfies(l -> l.close());
  }

  @Test
  void aDamagedFileIsReportedWithItsPath() throws Exception {
    ExperimentStore store = FileModelRegistry.open(root).experiments();
    store.create("m", "e", "{}", "created", "x");
    Path file = root.resolve("models/m/experiments/e/experiment.json");
    Files.writeString(file, "{\"formatVersion\": 9}");
    assertThatThrownBy(() -> FileModelRegistry.open(root).experiments().get("m", "e"))
        .hasMessageContaining("experiment.json").hasMessageContaining("newer");
  }

  /** Tries to lead experiment e of model m in the registry named by its argument; prints the answer. */
  public static final class LeadWorker {
    private LeadWorker() {}

    /**
     * Runs.
     *
     * @param args the registry root
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
      Optional<AutoCloseable> lead = FileModelRegistry.open(Path.of(args[0])).experiments().tryLead("m", "e");
      System.out.println(lead.isPresent() ? "leader" : "not leader");
      System.out.flush();
      if (lead.isPresent()) {
        lead.get().close();
      }
    }
  }
}
