/**
 * The performance regression gate: runs a short JMH suite, turns the scores into ratios against
 * raw ONNX Runtime measured in the same run, and compares them with a committed baseline.
 */
package dev.swell.bench;
