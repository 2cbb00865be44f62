/**
 * The HTTP sample: an embedding service over the JDK's HTTP server that serves MiniLM from a
 * registry alias, follows the alias as it moves, and reports health and Prometheus metrics.
 */
package dev.swell.samples.http;
