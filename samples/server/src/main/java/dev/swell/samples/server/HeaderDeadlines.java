package dev.swell.samples.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A limit on the time a client may take to send a request's line and headers, which Jetty does not
 * have: its idle timeout restarts with every byte, so a client sending one byte a second holds a
 * connection forever. Every quarter of the limit, each open HTTP/1 connection whose parser is part
 * way through a request's headers is checked; one that has been in the same request's headers for
 * longer than the limit is answered {@code 408} with a JSON body and closed. Waiting connections
 * hold no thread (Jetty reads them from its selector), so they never delay other requests; the
 * limit frees their sockets and file descriptors.
 *
 * <p>The parser is Jetty's internal {@link HttpConnection}'s, read from the monitor's thread: a
 * stale read only delays a refusal by one check.
 */
final class HeaderDeadlines implements Connection.Listener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HeaderDeadlines.class);

  private final long limitNanos;
  private final Map<HttpConnection, long[]> open = new ConcurrentHashMap<>(); // {messagesIn, first seen mid-header}
  private final ScheduledExecutorService monitor;

  HeaderDeadlines(Duration limit) {
    this.limitNanos = limit.toNanos();
    this.monitor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "oip-header-deadlines");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(10, limit.toMillis() / 4);
    monitor.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onOpened(Connection connection) {
    if (connection instanceof HttpConnection http) {
      open.put(http, new long[] {-1, 0});
    }
  }

  @Override
  public void onClosed(Connection connection) {
    open.remove(connection);
  }

  private void check() {
    long now = System.nanoTime();
    open.forEach((c, seen) -> {
      var parser = c.getParser();
      boolean midHeader = parser.inHeaderState() && !parser.isStart();
      long messages = c.getMessagesIn();
      if (!midHeader) {
        seen[0] = -1;
        return;
      }
      if (seen[0] != messages) { // a new request started arriving
        seen[0] = messages;
        seen[1] = now;
        return;
      }
      if (now - seen[1] > limitNanos) {
        open.remove(c);
        refuse(c);
      }
    });
  }

  private void refuse(HttpConnection c) {
    byte[] body = ("{\"error\":\"the request's headers took longer than " + Duration.ofNanos(limitNanos).toMillis()
        + " ms to arrive\"}").getBytes(StandardCharsets.UTF_8);
    byte[] head = ("HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: " + body.length
        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    log.debug("408 to {}: headers too slow", c.getEndPoint().getRemoteSocketAddress());
    c.getEndPoint().write(Callback.from(() -> c.getEndPoint().close(), x -> c.getEndPoint().close()),
        ByteBuffer.wrap(head), ByteBuffer.wrap(body));
  }

  @Override
  public void close() {
    monitor.shutdownNow();
  }
}
