package dev.swell.samples.server;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A custom endpoint on the same server: {@code POST} a JSON body, get a JSON answer. It sits
 * behind the same tokens, rate limit, limits, metrics and logs as the protocol's routes. Throw
 * {@link IllegalArgumentException} for a request the client got wrong (answered 400 with the
 * message); Swell's exceptions map as on the protocol's routes (404, 503, 504).
 */
@FunctionalInterface
public interface JsonRoute {

  /**
   * Answers one request.
   *
   * @param body the request's JSON body
   * @return the answer's JSON, sent with status 200
   */
  JsonNode handle(JsonNode body);
}
