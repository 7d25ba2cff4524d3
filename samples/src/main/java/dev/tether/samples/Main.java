package dev.tether.samples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the samples jar: {@code demo}, {@code chat} and {@code server}. */
@Command(
    name = "tether-samples",
    mixinStandardHelpOptions = true,
    version = "Tether samples 0.1.0-SNAPSHOT",
    description = "Runnable Tether samples.",
    subcommands = {DemoCommand.class, ChatCommand.class, ServerCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Held so that the level sticks: JUL keeps loggers weakly. */
  private static final java.util.logging.Logger GLASSFISH = java.util.logging.Logger.getLogger("org.glassfish");

  /** Runs the command named by {@code args} and exits with its code (2 for bad arguments). */
  public static void main(String[] args) {
    // Tyrus and Grizzly log through java.util.logging; their INFO lines (listener started...) are noise here.
    GLASSFISH.setLevel(java.util.logging.Level.WARNING);
    System.exit(new CommandLine(new Main()).execute(args));
  }
}
