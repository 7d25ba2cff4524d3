package dev.tether.client.internal;

import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes Tyrus's Grizzly client notice a connection that ends before the server answered the
 * handshake. Its filter ignores a close that comes before the upgrade response, so
 * {@code connectToServer} waits for its handshake timeout although the peer hung up at once. On the
 * shared Grizzly transport of the default container, a connection probe watches each new connection
 * until its first byte arrives (then it detaches, costing nothing afterwards); if the connection
 * closes before that, it fails the handshake through Tyrus's {@code ClientEngine.processError},
 * which makes {@code connectToServer} throw at once.
 *
 * <p>All of it is reflection: the client compiles against the JSR-356 API only, and without Tyrus
 * (or with a Tyrus container of private transports) this does nothing. For {@code wss} the TLS
 * handshake counts as an answer, so a hang-up after it is still found by the connect timeout.
 * Thread-safe.
 */
final class TyrusHandshakeWatch {
  private static final Logger log = LoggerFactory.getLogger(TyrusHandshakeWatch.class);
  private static final String SOCKET = "org.glassfish.tyrus.container.grizzly.client.GrizzlyClientSocket";
  /** Transports that carry the probe; weak, since Tyrus replaces an idle shared transport. */
  private static final Set<Object> WATCHED = Collections.newSetFromMap(new WeakHashMap<>());
  /** Tyrus's static field holding the shared transport, or null without Tyrus on Grizzly. */
  private static final Field TRANSPORT = transportField();

  private TyrusHandshakeWatch() {}

  /**
   * Puts the probe on the current shared transport, if it does not carry it yet. Called before each
   * handshake, from inside {@code connectToServer} (which creates the transport first).
   */
  static void install() {
    if (TRANSPORT == null) {
      return;
    }
    try {
      Object transport = TRANSPORT.get(null);
      if (transport == null) {
        return;
      }
      synchronized (WATCHED) {
        if (WATCHED.contains(transport)) {
          return;
        }
        Object config = transport.getClass().getMethod("getConnectionMonitoringConfig").invoke(transport);
        Class<?> probeType = Class.forName("org.glassfish.grizzly.ConnectionProbe", false,
            transport.getClass().getClassLoader());
        Object probe = Proxy.newProxyInstance(probeType.getClassLoader(), new Class<?>[] {probeType},
            new Probe(probeType));
        config.getClass().getMethod("addProbes", Object[].class).invoke(config, array(probeType, probe));
        WATCHED.add(transport);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("cannot watch Tyrus handshakes; a hang-up during one is found at the connect timeout", e);
    }
  }

  private static Field transportField() {
    try {
      Class<?> socket = Class.forName(SOCKET, false, TyrusHandshakeWatch.class.getClassLoader());
      Field field = socket.getDeclaredField("transport");
      field.setAccessible(true);
      return field;
    } catch (ClassNotFoundException e) {
      return null; // not Tyrus on Grizzly: nothing to watch
    } catch (InaccessibleObjectException e) {
      ModuleAccess.closed("watch Tyrus handshakes", "a server hanging up during one is found at the connect timeout", e);
      return null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("cannot find Tyrus's shared transport; hang-ups during handshakes are found at the connect timeout", e);
      return null;
    }
  }

  private static Object array(Class<?> type, Object element) {
    Object array = Array.newInstance(type, 1);
    Array.set(array, 0, element);
    return array;
  }

  /** The connection probe: on a connection's first read it detaches; on a close before it, it acts. */
  private static final class Probe implements InvocationHandler {
    private final Class<?> probeType;

    Probe(Class<?> probeType) {
      this.probeType = probeType;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) {
      switch (method.getName()) {
        case "onReadEvent" -> {
          if (args[2] instanceof Integer size && size > 0) {
            detach(proxy, args[0]); // the server answered: its handshake is Tyrus's business
          }
        }
        case "onCloseEvent" -> failHandshake(args[0]);
        case "equals" -> {
          return proxy == args[0];
        }
        case "hashCode" -> {
          return System.identityHashCode(proxy);
        }
        case "toString" -> {
          return "TyrusHandshakeWatch.Probe";
        }
        default -> {
          // the other events do not matter
        }
      }
      return null;
    }

    private void detach(Object proxy, Object connection) {
      try {
        Object config = connection.getClass().getMethod("getMonitoringConfig").invoke(connection);
        config.getClass().getMethod("removeProbes", Object[].class).invoke(config, array(probeType, proxy));
      } catch (ReflectiveOperationException | RuntimeException e) {
        log.debug("cannot detach the handshake probe", e);
      }
    }

    /** The connection closed before any byte arrived: fail the handshake waiting on it. */
    private static void failHandshake(Object connection) {
      try {
        Object chain = connection.getClass().getMethod("getProcessor").invoke(connection);
        if (!(chain instanceof Iterable<?> filters)) {
          return;
        }
        for (Object filter : filters) {
          if (filter.getClass().getName().endsWith(".GrizzlyClientFilter")) {
            Field engineField = filter.getClass().getDeclaredField("engine");
            engineField.setAccessible(true);
            Object engine = engineField.get(filter);
            engine.getClass().getMethod("processError", Throwable.class).invoke(engine,
                new IOException("the server closed the connection without answering the handshake"));
          }
        }
      } catch (InvocationTargetException e) {
        // IllegalStateException: the handshake had completed after all; nothing to fail
        log.debug("handshake not failed", e.getCause());
      } catch (ReflectiveOperationException | RuntimeException e) {
        log.debug("cannot fail the Tyrus handshake; the connect timeout will", e);
      }
    }
  }
}
