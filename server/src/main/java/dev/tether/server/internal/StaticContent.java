package dev.tether.server.internal;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Files a standalone listener serves over plain HTTP {@code GET} beside the WebSocket endpoint:
 * from a directory, or from a class-path folder (inside a jar, for example). {@code /} and any
 * path ending in {@code /} serve that folder's {@code index.html}; a path containing {@code ..}
 * is refused (404), as is anything not found. {@link GrizzlyHost} serves it with Grizzly's static
 * handlers, content types from the file extension. A plain value: building one needs no Grizzly.
 *
 * @param directory files from this directory; null if {@code loader} is set
 * @param loader resources from this class loader; null if {@code directory} is set
 * @param folder the class-path folder, {@code "/"}-separated, starting and ending with {@code /}
 */
public record StaticContent(Path directory, ClassLoader loader, String folder) {
  public StaticContent {
    if ((directory == null) == (loader == null)) {
      throw new IllegalArgumentException("either a directory or a class loader");
    }
  }

  /** Files from {@code directory}. */
  public static StaticContent files(Path directory) {
    return new StaticContent(Objects.requireNonNull(directory, "directory == null"), null, null);
  }

  /** Resources of {@code loader} under {@code folder} ({@code "web"}, {@code "/com/example/web/"}). */
  public static StaticContent resources(ClassLoader loader, String folder) {
    Objects.requireNonNull(loader, "loader == null");
    Objects.requireNonNull(folder, "folder == null");
    String f = folder.startsWith("/") ? folder : "/" + folder;
    return new StaticContent(null, loader, f.endsWith("/") ? f : f + "/");
  }

  @Override
  public String toString() {
    return directory != null ? directory.toString() : "classpath:" + folder;
  }
}
