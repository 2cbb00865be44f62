/**
 * The runtime's lifecycle events — loaded, swapped, refused, failed, evicted, unloaded — beside
 * drift and alert events, delivered through one listener API ({@code Swell.events()}) whose
 * subscriptions can be closed.
 */
package dev.swell.core.event;
