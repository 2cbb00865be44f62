/**
 * Offline scoring on Apache Spark with a pinned version of a Swell registry model:
 * {@link dev.swell.spark.SwellScorer} (the driver resolves once; each executor JVM loads one
 * verified copy, shared by its tasks), {@link dev.swell.spark.SwellSparkPlugin} (closes the copies
 * when an executor ends), {@link dev.swell.spark.ColumnMismatchException} and
 * {@link dev.swell.spark.NullRule}.
 */
package dev.swell.spark;
