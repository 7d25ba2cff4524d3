/**
 * The Tether IM client: {@link dev.tether.client.TetherClient}, a
 * {@link dev.tether.api.TetherSocket} on any Jakarta WebSocket (JSR-356) client container, Tyrus by
 * default, that stays connected (heartbeat, reconnect with {@link dev.tether.client.ReconnectPolicy},
 * {@link dev.tether.client.NetworkMonitor}) and delivers every envelope once, in order, through an
 * outbox ({@link dev.tether.client.OutboxStore}: in memory or on SQLite).
 *
 * <p>Logging goes through SLF4J under the logger names {@code dev.tether.client.*}; see the README,
 * "Logging".
 */
package dev.tether.client;
