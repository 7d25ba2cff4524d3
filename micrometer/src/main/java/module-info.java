/**
 * Micrometer meters for Tether: {@code TetherServerMetrics}. The client and the server are optional:
 * bind what your application has.
 */
module dev.tether.micrometer {
  requires transitive micrometer.core;
  requires static dev.tether.client;
  requires static dev.tether.server;

  exports dev.tether.micrometer;
}
