package dev.swell.spark;

import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.slf4j.LoggerFactory;

/**
 * Closes every model copy of an executor when the executor ends, so no native session outlives
 * it. Enable it with {@code --conf spark.plugins=dev.swell.spark.SwellSparkPlugin}; without it, a
 * copy no task holds is still closed after its idle time ({@link SwellScorer.Builder#idleRelease}).
 */
public final class SwellSparkPlugin implements SparkPlugin {

  /** Creates the plugin; Spark does, from {@code spark.plugins}. */
  public SwellSparkPlugin() {}

  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext ctx, Map<String, String> extraConf) {}

      @Override
      public void shutdown() {
        int closed = ExecutorModels.closeAll();
        if (closed > 0) {
          LoggerFactory.getLogger(SwellSparkPlugin.class).info("executor ending: closed {} model cop{}", closed,
              closed == 1 ? "y" : "ies");
        }
      }
    };
  }
}
