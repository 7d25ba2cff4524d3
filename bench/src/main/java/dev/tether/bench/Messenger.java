package dev.tether.bench;

import java.net.URI;

/**
 * One system of the {@code compare} workload: sends 64-byte messages from one thread and tells its
 * {@link Events} when the sender got an ack (systems with acks) and when the message was delivered
 * to its subscriber. "Self": one connection that publishes and subscribes to its own room or
 * topic; "A→B": the publisher and the subscriber are two connections (two users) of this JVM.
 */
interface Messenger extends AutoCloseable {
  /** Kinds, in report order. */
  String[] KINDS = {"tether-raw", "tether-envelope", "tether-envelope-ab", "paho-qos1", "paho-qos1-ab",
      "paho-qos0", "paho-qos0-ab"};

  /** Called on the systems' own threads, in any order and concurrently. */
  interface Events {
    void acked();

    void delivered();

    /** A message that failed (its ack future failed, say); it counts as done, and is reported. */
    void failed(Throwable error);
  }

  /** Sends one message; called from one thread at a time. */
  void send(String text) throws Exception;

  /** Whether the sender gets an ack per message; if not, a delivery alone completes a message. */
  boolean acks();

  @Override
  void close() throws Exception;

  /**
   * Connects one system.
   *
   * @param tether the Tether server ({@code ws://.../im}), for the {@code tether-*} kinds
   * @param mqtt the MQTT broker ({@code tcp://host:port}), for the {@code paho-*} kinds
   */
  static Messenger open(String kind, URI tether, URI mqtt, Events events) throws Exception {
    return switch (kind) {
      case "tether-raw" -> TetherMessenger.raw(tether, events);
      case "tether-envelope" -> TetherMessenger.envelopes(tether, events, false);
      case "tether-envelope-ab" -> TetherMessenger.envelopes(tether, events, true);
      case "paho-qos1" -> PahoMessenger.open(mqtt, 1, false, events);
      case "paho-qos1-ab" -> PahoMessenger.open(mqtt, 1, true, events);
      case "paho-qos0" -> PahoMessenger.open(mqtt, 0, false, events);
      case "paho-qos0-ab" -> PahoMessenger.open(mqtt, 0, true, events);
      default -> throw new IllegalArgumentException("unknown compare kind: " + kind);
    };
  }

  /** Whether {@code kind} needs the MQTT broker. */
  static boolean isMqtt(String kind) {
    return kind.startsWith("paho-");
  }
}
