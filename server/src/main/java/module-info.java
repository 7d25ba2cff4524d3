/**
 * Tether's IM server: {@code TetherServer}, {@code RoomStore}, {@code Authenticator}. Only
 * {@code dev.tether.server} is exported to everyone; {@code dev.tether.server.internal} only to the
 * stub server ({@code dev.tether.stub}) and to Tyrus, which calls the endpoint reflectively.
 *
 * <p>Tyrus and Grizzly are required because {@code listen()} runs on them; hosted in another
 * container, they are still on the module path (their classes are loaded only by {@code listen()}).
 */
module dev.tether.server {
  requires transitive dev.tether.api;
  requires transitive jakarta.websocket;
  requires dev.tether.deflate;
  requires com.fasterxml.jackson.databind;
  requires java.logging;
  requires java.sql;
  requires org.slf4j;
  requires org.glassfish.grizzly;
  requires org.glassfish.grizzly.http;
  requires org.glassfish.grizzly.http.server;
  requires org.glassfish.tyrus.core;
  requires org.glassfish.tyrus.server;
  requires org.glassfish.tyrus.spi;
  requires org.glassfish.tyrus.container.grizzly.server;

  exports dev.tether.server;
  // Tyrus calls the endpoint's methods reflectively; other containers on the module path need
  // --add-exports dev.tether.server/dev.tether.server.internal=THEIR_MODULE (README, "Module path").
  exports dev.tether.server.internal to dev.tether.stub, org.glassfish.tyrus.core;
}
