package dev.tether.server.internal;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@link RedisRoomStore}'s Lua scripts ({@code redis/*.lua} next to this class), run by SHA. Lettuce
 * has no NOSCRIPT fallback: when Redis lost its script cache (a restart, {@code SCRIPT FLUSH}), a
 * call answered NOSCRIPT is sent again as {@code EVAL}, which also caches the script. Retries go out
 * from the reply's thread in reply order, so pipelined calls stay in order. Thread-safe.
 */
final class RedisScripts {
  /** The scripts, each with its source and SHA once {@linkplain #load loaded}. */
  enum Script {
    CHAT("chat.lua"),
    OPEN("open.lua"),
    HISTORY("history.lua"),
    ACCEPTED("accepted.lua");

    final String source;

    Script(String file) {
      this.source = read(file);
    }

    private static String read(String file) {
      try (InputStream in = RedisScripts.class.getResourceAsStream("redis/" + file)) {
        Objects.requireNonNull(in, "missing resource redis/" + file);
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private final RedisAsyncCommands<String, String> commands;
  private final String[] shas = new String[Script.values().length];

  RedisScripts(RedisAsyncCommands<String, String> commands) {
    this.commands = commands;
  }

  /** Loads every script into Redis (checking that it compiles); blocks, for the store's start. */
  void load(RedisCommands<String, String> sync) {
    for (Script s : Script.values()) {
      shas[s.ordinal()] = sync.scriptLoad(s.source);
    }
  }

  /**
   * Runs {@code script}; the stage has its reply as a list (integers as {@code Long}, strings as
   * {@code String}). A call Lettuce refuses at once (not connected, queue full) fails the stage
   * before this method returns.
   */
  CompletableFuture<List<Object>> run(Script script, String[] keys, String... args) {
    CompletableFuture<List<Object>> result = new CompletableFuture<>();
    commands.<List<Object>>evalsha(shas[script.ordinal()], ScriptOutputType.MULTI, keys, args)
        .whenComplete((reply, error) -> {
          if (error == null) {
            result.complete(reply);
          } else if (unwrap(error) instanceof RedisNoScriptException) {
            commands.<List<Object>>eval(script.source, ScriptOutputType.MULTI, keys, args).whenComplete((r, e) -> {
              if (e == null) {
                result.complete(r);
              } else {
                result.completeExceptionally(unwrap(e));
              }
            });
          } else {
            result.completeExceptionally(unwrap(error));
          }
        });
    return result;
  }

  static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
  }
}
