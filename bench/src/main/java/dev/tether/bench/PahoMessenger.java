package dev.tether.bench;

import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * The MQTT anchor of the {@code compare} workload: Eclipse Paho mqttv3 ({@code MqttAsyncClient})
 * on a Mosquitto broker, QoS 1 or 0. Each client: clean session, {@link MemoryPersistence} (Paho's
 * default persists QoS 1 messages to files; Tether's outbox is in memory by default too), at most
 * 1,000 messages in flight (Paho's default, 10, is below the window of 32), {@code TCP_NODELAY}
 * through {@link NoDelaySocketFactory}, no automatic reconnect, otherwise Paho's defaults. Acked =
 * {@code deliveryComplete} at the publisher (the broker's PUBACK, QoS 1 only); delivered =
 * {@code messageArrived} at the subscriber: the publisher itself for "self" (it subscribes to its
 * own topic), a second client for "A→B".
 */
final class PahoMessenger implements Messenger {
  private final MqttAsyncClient publisher;
  private final List<MqttAsyncClient> clients;
  private final NoDelaySocketFactory sockets;
  private final String topic;
  private final int qos;

  private PahoMessenger(MqttAsyncClient publisher, List<MqttAsyncClient> clients,
      NoDelaySocketFactory sockets, String topic, int qos) {
    this.publisher = publisher;
    this.clients = clients;
    this.sockets = sockets;
    this.topic = topic;
    this.qos = qos;
  }

  /** @param ab publisher and subscriber on two connections; else one does both */
  static PahoMessenger open(URI broker, int qos, boolean ab, Events events) throws Exception {
    if (qos != 0 && qos != 1) {
      throw new IllegalArgumentException("qos must be 0 or 1: " + qos);
    }
    long pid = ProcessHandle.current().pid();
    String topic = "bench/" + (ab ? "ab/" : "self/") + qos + "/" + pid;
    NoDelaySocketFactory sockets = new NoDelaySocketFactory();
    List<MqttAsyncClient> clients = new ArrayList<>();
    try {
      MqttAsyncClient subscriber = connect(broker, "sub-" + qos + (ab ? "-ab-" : "-self-") + pid, sockets,
          new Callback(events, qos, true, !ab));
      clients.add(subscriber);
      subscriber.subscribe(topic, qos).waitForCompletion(10_000);
      MqttAsyncClient publisher = subscriber;
      if (ab) {
        publisher = connect(broker, "pub-" + qos + "-ab-" + pid, sockets, new Callback(events, qos, false, true));
        clients.add(publisher);
      }
      return new PahoMessenger(publisher, clients, sockets, topic, qos);
    } catch (Exception e) {
      for (MqttAsyncClient c : clients) {
        c.disconnectForcibly(0, 1000);
        c.close();
      }
      throw e;
    }
  }

  private static MqttAsyncClient connect(URI broker, String id, NoDelaySocketFactory sockets,
      MqttCallback callback) throws Exception {
    MqttAsyncClient client = new MqttAsyncClient(broker.toString(), id, new MemoryPersistence());
    client.setCallback(callback);
    MqttConnectOptions options = new MqttConnectOptions();
    options.setCleanSession(true);
    options.setMaxInflight(1000);
    options.setSocketFactory(sockets);
    options.setAutomaticReconnect(false);
    options.setConnectionTimeout(10);
    client.connect(options).waitForCompletion(10_000);
    return client;
  }

  /** Counts deliveries (on the subscriber) and PUBACKs (on the publisher, QoS 1). */
  private record Callback(Events events, int qos, boolean subscribes, boolean publishes) implements MqttCallback {
    @Override
    public void connectionLost(Throwable cause) {
      events.failed(cause);
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      if (subscribes) {
        events.delivered();
      }
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {
      if (publishes && qos > 0) {
        events.acked();
      }
    }
  }

  @Override
  public void send(String text) throws Exception {
    publisher.publish(topic, text.getBytes(StandardCharsets.UTF_8), qos, false);
  }

  @Override
  public boolean acks() {
    return qos > 0;
  }

  /** The TCP sockets of this system's clients. */
  List<Socket> sockets() {
    return sockets.sockets();
  }

  @Override
  public void close() throws Exception {
    for (MqttAsyncClient c : clients) {
      try {
        c.disconnect(1000).waitForCompletion(2000);
      } catch (Exception e) {
        c.disconnectForcibly(0, 1000);
      }
      c.close();
    }
  }
}
