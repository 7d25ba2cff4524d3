package dev.tether.bench;

import dev.tether.stub.FaultProxy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One of the soak's links: the network path of the clients on it, one {@link FaultProxy} per
 * server node (one in all without {@code --cluster}), every fault switched on all of them at once,
 * so that a client on a faulty link meets the fault whichever node it fails over to. Lossy links
 * draw each proxy's losses from its own seed (the fault's seed plus the node's index).
 * Thread-safe, as {@link FaultProxy} is.
 */
final class SoakLink implements AutoCloseable {
  private final List<FaultProxy> proxies;

  private SoakLink(List<FaultProxy> proxies) {
    this.proxies = proxies;
  }

  /** A proxy in front of each of {@code nodes}, in their order. */
  static SoakLink start(List<URI> nodes) {
    List<FaultProxy> proxies = new ArrayList<>();
    try {
      for (URI node : nodes) {
        proxies.add(FaultProxy.start(node));
      }
    } catch (RuntimeException e) {
      proxies.forEach(FaultProxy::close);
      throw e;
    }
    return new SoakLink(List.copyOf(proxies));
  }

  /** The URIs of the nodes through this link, node 0's first. */
  List<URI> uris() {
    return proxies.stream().map(FaultProxy::uri).toList();
  }

  /** {@link #uris()} turned so that node {@code home}'s comes first, then the others in turn. */
  List<URI> urisFrom(int home) {
    List<URI> all = uris();
    List<URI> turned = new ArrayList<>(all.size());
    for (int i = 0; i < all.size(); i++) {
      turned.add(all.get((home + i) % all.size()));
    }
    return turned;
  }

  void cutAll() {
    proxies.forEach(FaultProxy::cutAll);
  }

  void blackhole() {
    proxies.forEach(FaultProxy::blackhole);
  }

  void stopReading() {
    proxies.forEach(FaultProxy::stopReading);
  }

  void heal() {
    proxies.forEach(FaultProxy::heal);
  }

  void latency(Duration latency) {
    proxies.forEach(p -> p.latency(latency));
  }

  void lossy(double probability, long seed) {
    for (int i = 0; i < proxies.size(); i++) {
      proxies.get(i).lossy(probability, seed + i);
    }
  }

  /** Proxied connections open now, over every node. */
  int connectionCount() {
    return proxies.stream().mapToInt(FaultProxy::connectionCount).sum();
  }

  @Override
  public void close() {
    proxies.forEach(FaultProxy::close);
  }
}
