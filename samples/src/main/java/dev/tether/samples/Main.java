package dev.tether.samples;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the samples jar: {@code demo}, {@code chat} and {@code server}. A bad argument or
 * a failure the user can act on (a port in use, a store that cannot be opened) is one line on
 * stderr that says what was expected and what came, never a stack trace; bad arguments exit with
 * 2, other failures with 1.
 */
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
    System.exit(commandLine().execute(args));
  }

  /** The samples' command line, with the one-line error handling; for main and the tests. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setParameterExceptionHandler((e, args) -> {
      CommandLine.Model.CommandSpec command = e.getCommandLine().getCommandSpec();
      PrintWriter err = e.getCommandLine().getErr();
      err.println(command.qualifiedName() + ": " + e.getMessage() + " (see " + command.qualifiedName() + " --help)");
      err.flush();
      return command.exitCodeOnInvalidInput();
    });
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      err.println(commandLine.getCommandSpec().qualifiedName() + ": " + message(e));
      err.flush();
      return commandLine.getCommandSpec().exitCodeOnExecutionException();
    });
    return cli;
  }

  /** The exception's own message, or its type when it has none. */
  private static String message(Throwable e) {
    return e.getMessage() == null || e.getMessage().isBlank() ? e.toString() : e.getMessage();
  }
}
