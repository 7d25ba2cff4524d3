/**
 * permessage-deflate (RFC 7692) for Tyrus, client and server, over {@code java.util.zip}. Tyrus is
 * read only where it is present: the client requires this module whatever its container, and loads
 * the extension only when the container is Tyrus.
 */
module dev.tether.deflate {
  requires transitive jakarta.websocket.client;
  requires static org.glassfish.tyrus.core;

  exports dev.tether.deflate;
}
