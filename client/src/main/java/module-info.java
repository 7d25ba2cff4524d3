/**
 * Tether's IM client: {@code TetherClient} on any Jakarta WebSocket client container, Tyrus by
 * default. Only {@code dev.tether.client} is exported; {@code dev.tether.client.internal} is not.
 *
 * <p>The client reaches Tyrus by name only (it compiles against the JSR-356 client API); the
 * default container comes in through {@code jakarta.websocket.ContainerProvider}'s service binding
 * (Tyrus's {@code org.glassfish.tyrus.container.grizzly.client} provides it), and the SQLite
 * outbox finds {@code org.xerial.sqlitejdbc} through {@code java.sql.Driver}'s.
 */
module dev.tether.client {
  requires transitive dev.tether.api;
  requires transitive jakarta.websocket.client;
  requires dev.tether.deflate;
  requires java.sql;
  requires org.slf4j;

  exports dev.tether.client;
}
