/**
 * The Tether IM server as a component: {@link dev.tether.server.TetherServer}, standalone
 * ({@code listen}, on Tyrus and Grizzly) or hosted in any Jakarta WebSocket container through
 * {@code endpointConfig()}; {@link dev.tether.server.RoomStore} (in memory or on SQLite) keeps rooms,
 * history and dedup records; {@link dev.tether.server.Authenticator} names the user of each
 * handshake.
 *
 * <p>Logging goes through SLF4J under the logger names {@code dev.tether.server.*}; see the README,
 * "Logging".
 */
package dev.tether.server;
