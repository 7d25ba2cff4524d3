package dev.tether.server.internal;

import dev.tether.deflate.PerMessageDeflate;
import jakarta.websocket.Extension;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BinaryOperator;
import org.glassfish.tyrus.core.TyrusServerEndpointConfigurator;

/**
 * permessage-deflate (RFC 7692) on the server, whatever the container.
 *
 * <ul>
 *   <li>On Tyrus ({@code listen}, or any container where Tyrus's classes are present) the endpoint
 *       config installs Tether's {@link PerMessageDeflate}, and negotiation goes straight to
 *       Tyrus's own configurator: the default one comes from a {@code ServiceLoader}, which may
 *       find another container's first (Jetty's, if its jar is on the class path too) and would
 *       then accept the offer without applying the extension. Offers the extension cannot
 *       honour ({@link PerMessageDeflate#acceptable}: unknown or repeated parameters) are dropped
 *       first, so a client that sent a second, plainer offer gets that one.
 *   <li>Elsewhere (Jetty, Tomcat) the container's own permessage-deflate is used, as the
 *       container's default configurator negotiates it.
 *   <li>With compression off, offers of permessage-deflate are dropped before any of that.
 * </ul>
 *
 * No class of Tyrus or of tether-deflate is loaded unless Tyrus is present.
 */
final class Compression {
  private static final String NAME = "permessage-deflate";
  private static final String OURS = "dev.tether.deflate.PerMessageDeflate";
  private static final boolean TYRUS = present("org.glassfish.tyrus.core.extension.ExtendedExtension");

  private Compression() {}

  private static boolean present(String className) {
    try {
      Class.forName(className, false, Compression.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** The extensions an endpoint config of {@code config} installs. */
  static List<Extension> installed(HubConfig config) {
    return config.compression() && TYRUS ? OnTyrus.installed(config.limits().maxMessageSize()) : List.of();
  }

  /**
   * The extensions of a connection whose client asked for {@code requested}.
   *
   * @param containerDefault the container's own negotiation, for containers other than Tyrus
   */
  static List<Extension> negotiate(boolean enabled, List<Extension> installed, List<Extension> requested,
      BinaryOperator<List<Extension>> containerDefault) {
    boolean ours = installed.stream().anyMatch(e -> e.getClass().getName().equals(OURS));
    List<Extension> offers = new ArrayList<>();
    for (Extension offer : requested) {
      boolean deflate = NAME.equalsIgnoreCase(offer.getName());
      if (!deflate || (enabled && (!ours || OnTyrus.acceptable(offer)))) {
        offers.add(offer);
      }
    }
    return ours ? OnTyrus.negotiate(installed, offers) : containerDefault.apply(installed, offers);
  }

  /** What touches Tyrus and tether-deflate; loaded only once Tyrus is known to be there. */
  private static final class OnTyrus {
    static List<Extension> installed(int maxMessageSize) {
      return List.of(PerMessageDeflate.server(maxMessageSize));
    }

    static boolean acceptable(Extension offer) {
      return PerMessageDeflate.acceptable(offer);
    }

    static List<Extension> negotiate(List<Extension> installed, List<Extension> offers) {
      return new TyrusServerEndpointConfigurator().getNegotiatedExtensions(installed, offers);
    }
  }
}
