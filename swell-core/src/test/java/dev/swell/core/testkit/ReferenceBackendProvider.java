package dev.swell.core.testkit;

import dev.swell.api.BackendException;
import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Signature;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import dev.swell.api.spi.Backend;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.BackendProvider;
import dev.swell.api.spi.LoadedModel;
import dev.swell.api.spi.ModelArtifact;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny pure-Java backend, so that Swell's core is tested without native code. It loads
 * {@code .ref} files: Java properties naming an operation.
 *
 * <ul>
 *   <li>{@code op=identity}, {@code dtype=float32}: input {@code x} [?, ?] to output {@code y};
 *   <li>{@code op=mlp}, {@code in}, {@code hidden}, {@code out}, {@code seed}: the
 *       {@link MlpWeights} network, input {@code x} float32 [?, in], output {@code y} [?, out];
 *   <li>{@code op=two_io}: inputs {@code a}, {@code b} float32 [?, 4]; outputs {@code sum},
 *       {@code product};
 *   <li>{@code op=fixed}: input {@code x} float32 [2, 3], output {@code y} = x.
 * </ul>
 *
 * <p>With {@code failing=true} a model loads but every {@code run} fails; with
 * {@code fail_on_negative=true} a run fails when any float input element is negative; with
 * {@code delay_ms=N} every run first waits N ms, or less when the call is cancelled (a slow model,
 * for queueing and deadline tests; with {@code delay_ms_per_row=N} N ms more for every row, a model
 * that batching cannot make cheaper; with {@code spin_ms=N} every run keeps a core busy for N ms
 * (a model whose call costs the same CPU for 1 or many rows); {@link #cancelledRuns()} counts the stopped ones; with
 * {@code cancellable=false} it ignores cancellation, as a backend that cannot stop). It also
 * records the rows (first dimension of the first input) of every run ({@link #rowsPerRun()}).
 *
 * <p>It counts the calls that reach it ({@link #runs()}) and the models it has open
 * ({@link #openModels()}).
 */
public final class ReferenceBackendProvider implements BackendProvider {

  /** The provider's name. */
  public static final String NAME = "reference";

  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong cancelledRuns = new AtomicLong();
  private final AtomicInteger open = new AtomicInteger();
  private final java.util.Queue<Long> rowsPerRun = new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** Creates a provider. */
  public ReferenceBackendProvider() {}

  /**
   * Returns how many runs stopped early because their call was cancelled.
   *
   * @return the count
   */
  public long cancelledRuns() {
    return cancelledRuns.get();
  }

  /**
   * Writes a model file.
   *
   * @param file where to write, ending in {@code .ref}
   * @param properties alternating keys and values
   * @return the file
   */
  public static Path write(Path file, String... properties) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < properties.length; i += 2) {
      sb.append(properties[i]).append('=').append(properties[i + 1]).append('\n');
    }
    try {
      Files.createDirectories(file.getParent());
      return Files.writeString(file, sb);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Returns the number of {@code run} calls that reached any model of this provider.
   *
   * @return the count
   */
  public long runs() {
    return runs.get();
  }

  /**
   * Returns the rows of every run so far, in order.
   *
   * @return rows per run
   */
  public List<Long> rowsPerRun() {
    return List.copyOf(rowsPerRun);
  }

  /**
   * Returns the number of models loaded and not yet closed.
   *
   * @return the count
   */
  public int openModels() {
    return open.get();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> formats() {
    return Set.of("ref");
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public Backend create(BackendConfig config) {
    return new Backend() {
      @Override
      public String name() {
        return NAME;
      }

      @Override
      public LoadedModel load(ModelArtifact artifact) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(artifact.file())) {
          p.load(r);
        } catch (IOException | IllegalArgumentException e) {
          throw new BackendException("cannot read " + artifact.file() + ": " + e, artifact.name(),
              artifact.version(), e);
        }
        RefModel m = new RefModel(p, artifact);
        open.incrementAndGet();
        return m;
      }

      @Override
      public void close() {}
    };
  }

  private final class RefModel implements LoadedModel {
    private final String op;
    private final Signature signature;
    private final MlpWeights mlp;
    private final ModelArtifact artifact;
    private final boolean failing;
    private final boolean failOnNegative;
    private final long delayMs;
    private final long delayMsPerRow;
    private final long spinNanos;
    private final boolean cancellable;
    private volatile boolean closed;

    RefModel(Properties p, ModelArtifact artifact) {
      this.artifact = artifact;
      this.op = p.getProperty("op", "");
      this.failing = Boolean.parseBoolean(p.getProperty("failing", "false"));
      this.failOnNegative = Boolean.parseBoolean(p.getProperty("fail_on_negative", "false"));
      this.delayMs = Long.parseLong(p.getProperty("delay_ms", "0"));
      this.delayMsPerRow = Long.parseLong(p.getProperty("delay_ms_per_row", "0"));
      this.spinNanos = Long.parseLong(p.getProperty("spin_ms", "0")) * 1_000_000;
      this.cancellable = Boolean.parseBoolean(p.getProperty("cancellable", "true"));
      try {
        switch (op) {
          case "identity": {
            DType dtype = DType.fromName(p.getProperty("dtype"));
            signature = Signature.of(List.of(TensorSpec.of("x", dtype, -1, -1)),
                List.of(TensorSpec.of("y", dtype, -1, -1)));
            mlp = null;
            break;
          }
          case "mlp": {
            int in = Integer.parseInt(p.getProperty("in"));
            int hidden = Integer.parseInt(p.getProperty("hidden"));
            int out = Integer.parseInt(p.getProperty("out"));
            mlp = MlpWeights.generate(in, hidden, out, Long.parseLong(p.getProperty("seed")));
            signature = Signature.of(List.of(TensorSpec.of("x", DType.FLOAT32, -1, in)),
                List.of(TensorSpec.of("y", DType.FLOAT32, -1, out)));
            break;
          }
          case "two_io":
            mlp = null;
            signature = Signature.of(
                List.of(TensorSpec.of("a", DType.FLOAT32, -1, 4), TensorSpec.of("b", DType.FLOAT32, -1, 4)),
                List.of(TensorSpec.of("sum", DType.FLOAT32, -1, 4),
                    TensorSpec.of("product", DType.FLOAT32, -1, 4)));
            break;
          case "fixed":
            mlp = null;
            signature = Signature.of(List.of(TensorSpec.of("x", DType.FLOAT32, 2, 3)),
                List.of(TensorSpec.of("y", DType.FLOAT32, 2, 3)));
            break;
          default:
            throw new IllegalArgumentException("unknown op '" + op + "'");
        }
      } catch (RuntimeException e) {
        throw new BackendException("not a reference model: " + e.getMessage(), artifact.name(),
            artifact.version(), e);
      }
    }

    @Override
    public Signature signature() {
      return signature;
    }

    @Override
    public String device() {
      return "java";
    }

    @Override
    public NamedTensors run(NamedTensors inputs) {
      return run(inputs, dev.swell.api.spi.RunContext.NONE);
    }

    @Override
    public NamedTensors run(NamedTensors inputs, dev.swell.api.spi.RunContext context) {
      if (closed) {
        throw new IllegalStateException("model " + artifact.name() + " is closed");
      }
      runs.incrementAndGet();
      if (failing) {
        throw new BackendException("this model fails on every call (failing=true)", artifact.name(),
            artifact.version(), null);
      }
      for (long t0 = System.nanoTime(); System.nanoTime() - t0 < spinNanos; ) {
        Thread.onSpinWait(); // CPU time, whatever the rows
      }
      long delayMs = this.delayMs + (delayMsPerRow == 0 || inputs.tensors().isEmpty()
          || inputs.tensors().get(0).rank() == 0 ? 0 : delayMsPerRow * inputs.tensors().get(0).dim(0));
      if (delayMs > 0) {
        // a slow model that stops when cancelled, as ONNX Runtime does between operators
        java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
        if (cancellable) {
          context.onCancel(stop::countDown);
        }
        try {
          stop.await(delayMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        if (cancellable && context.cancelled()) {
          cancelledRuns.incrementAndGet();
          throw new dev.swell.api.DeadlineExceededException("cancelled after " + delayMs + " ms at most",
              artifact.name(), artifact.version());
        }
      }
      if (!inputs.tensors().isEmpty() && inputs.tensors().get(0).rank() > 0) {
        rowsPerRun.add(inputs.tensors().get(0).dim(0));
      }
      if (failOnNegative) {
        for (Tensor t : inputs.tensors()) {
          if (t.dtype() == DType.FLOAT32) {
            for (float f : t.toFloatArray()) {
              if (f < 0) {
                throw new BackendException("a negative input (fail_on_negative=true)", artifact.name(),
                    artifact.version(), null);
              }
            }
          }
        }
      }
      for (TensorSpec s : signature.inputs()) {
        Tensor t = inputs.get(s.name());
        if (t == null || t.dtype() != s.dtype() || !s.accepts(t.shape())) {
          throw new BackendException("input '" + s.name() + "' does not match " + s,
              artifact.name(), artifact.version(), null);
        }
      }
      switch (op) {
        case "identity":
        case "fixed":
          return NamedTensors.of("y", inputs.get("x"));
        case "mlp": {
          Tensor x = inputs.get("x");
          int rows = (int) x.dim(0);
          return NamedTensors.of("y", Tensor.of(mlp.apply(x.toFloatArray(), rows), rows, mlp.out()));
        }
        default: {
          Tensor a = inputs.get("a");
          float[] x = a.toFloatArray();
          float[] y = inputs.get("b").toFloatArray();
          float[] sum = new float[x.length];
          float[] product = new float[x.length];
          for (int i = 0; i < x.length; i++) {
            sum[i] = x[i] + y[i];
            product[i] = x[i] * y[i];
          }
          return NamedTensors.of("sum", Tensor.of(sum, a.shape()), "product", Tensor.of(product, a.shape()));
        }
      }
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        open.decrementAndGet();
      }
    }
  }
}
