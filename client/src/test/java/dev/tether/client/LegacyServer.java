package dev.tether.client;

import dev.tether.api.Ack;
import dev.tether.api.Envelope;
import dev.tether.api.EnvelopeCodec;
import dev.tether.api.ErrorReply;
import dev.tether.api.MalformedEnvelopeException;
import dev.tether.api.Wire;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.glassfish.tyrus.server.TyrusServerContainer;
import org.glassfish.tyrus.spi.ServerContainer;
import org.glassfish.tyrus.spi.ServerContainerFactory;

/**
 * An IM server as servers were before epochs and sender order (PROTOCOL.md without "Epochs" and
 * "Sender order"): joins, chats with gap-free seqs, fan-out, dedup by user and id, resumes that
 * replay what follows {@code after}; no {@code epoch} on anything, and the counter {@code n} is
 * ignored like any unknown field. {@link #loseState()} forgets everything and ends every
 * connection, as an in-memory server that crashed and came back. Raw Tyrus on Grizzly, an ephemeral
 * loopback port; everything under one lock, writes blocking (a test server, with few clients).
 * Public, as is its endpoint, only because Tyrus calls the endpoint by reflection.
 */
public final class LegacyServer implements AutoCloseable {
  private static final EnvelopeCodec CODEC = EnvelopeCodec.shared();

  private final ServerContainer container = ServerContainerFactory.createServerContainer(Map.of());
  /** Guarded by this. */
  private final Map<String, List<Envelope>> history = new HashMap<>();
  private final Map<String, Set<Session>> members = new HashMap<>();
  private final Map<String, Long> accepted = new HashMap<>();
  private final Set<Session> sessions = new HashSet<>();
  /** Rooms whose chats are always refused not_member, members or not. */
  private final Set<String> refusing = new HashSet<>();

  private LegacyServer() {}

  static LegacyServer start() {
    LegacyServer server = new LegacyServer();
    try {
      server.container.addEndpoint(ServerEndpointConfig.Builder.create(Connection.class, "/im")
          .configurator(new ServerEndpointConfig.Configurator() {
            @Override
            public <T> T getEndpointInstance(Class<T> endpointClass) {
              return endpointClass.cast(new Connection(server));
            }
          }).build());
      server.container.start("/", 0); // Grizzly binds an ephemeral port for 0 (only Tyrus's Server maps it to 8025)
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the legacy server", e);
    }
    return server;
  }

  URI uri() {
    return URI.create("ws://127.0.0.1:" + ((TyrusServerContainer) container).getPort() + "/im");
  }

  /**
   * From now on refuses every chat in {@code room} with {@code not_member}, also from its members
   * (whose joins and resumes are still acked): a server that keeps refusing.
   */
  synchronized void refuseChatsIn(String room) {
    refusing.add(room);
  }

  /** Forgets rooms, seqs, history and dedup memory, and ends every connection with 1012. */
  void loseState() {
    List<Session> all;
    synchronized (this) {
      history.clear();
      members.clear();
      accepted.clear();
      all = new ArrayList<>(sessions);
      sessions.clear();
    }
    for (Session s : all) {
      try {
        s.close(new CloseReason(CloseReason.CloseCodes.SERVICE_RESTART, "lost its state"));
      } catch (IOException e) {
        // it is going away anyway
      }
    }
  }

  @Override
  public void close() {
    container.stop();
  }

  /** One connection's endpoint. */
  public static final class Connection extends Endpoint {
    private final LegacyServer server;
    private String user;

    Connection(LegacyServer server) {
      this.server = server;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
      String query = session.getRequestURI().getQuery();
      user = query != null && query.startsWith("user=") ? query.substring(5) : "anon";
      synchronized (server) {
        server.sessions.add(session);
      }
      session.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> onText(session, text));
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
      synchronized (server) {
        server.sessions.remove(session);
        server.members.values().forEach(m -> m.remove(session));
      }
    }

    private void onText(Session session, String text) {
      Wire wire;
      try {
        wire = CODEC.decode(text);
      } catch (MalformedEnvelopeException e) {
        send(session, CODEC.encode(new ErrorReply(null, ErrorReply.MALFORMED, e.getMessage())));
        return;
      }
      if (!(wire instanceof Envelope e)) {
        return;
      }
      synchronized (server) {
        List<Envelope> room = server.history.computeIfAbsent(e.room(), r -> new ArrayList<>());
        switch (e.type()) {
          case JOIN -> {
            server.members.computeIfAbsent(e.room(), r -> new HashSet<>()).add(session);
            send(session, CODEC.encode(new Ack(e.id(), room.size())));
          }
          case LEAVE -> {
            server.members.getOrDefault(e.room(), Set.of()).remove(session);
            send(session, CODEC.encode(new Ack(e.id(), room.size())));
          }
          case RESUME -> {
            server.members.computeIfAbsent(e.room(), r -> new HashSet<>()).add(session);
            for (Envelope chat : room) {
              if (chat.seq() > e.seq()) {
                send(session, CODEC.encode(chat));
              }
            }
            send(session, CODEC.encode(new Ack(e.id(), room.size())));
          }
          case CHAT -> chat(session, room, e);
        }
      }
    }

    private void chat(Session session, List<Envelope> room, Envelope e) {
      Long seq = server.accepted.get(user + "\u0000" + e.id());
      if (seq != null) {
        send(session, CODEC.encode(new Ack(e.id(), seq)));
        return;
      }
      if (!server.members.getOrDefault(e.room(), Set.of()).contains(session) || server.refusing.contains(e.room())) {
        send(session, CODEC.encode(new ErrorReply(e.id(), ErrorReply.NOT_MEMBER, "join first")));
        return;
      }
      Envelope stamped = e.withEpoch(null).accepted(user, room.size() + 1, System.currentTimeMillis());
      room.add(stamped);
      server.accepted.put(user + "\u0000" + e.id(), stamped.seq());
      send(session, CODEC.encode(new Ack(e.id(), stamped.seq())));
      String frame = CODEC.encode(stamped);
      server.members.get(e.room()).forEach(member -> send(member, frame));
    }

    private void send(Session session, String frame) {
      try {
        session.getBasicRemote().sendText(frame);
      } catch (IOException | IllegalStateException e) {
        // a member that went away: its close callback removes it
      }
    }
  }
}
