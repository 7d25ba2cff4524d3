/**
 * How {@link dev.tether.server.TetherServer} works inside: hub, rooms, history, dedup, endpoint and
 * the stores. Not API: exported only to the stub server and to Tyrus, not in the published javadoc,
 * and free to change in any release.
 */
package dev.tether.server.internal;
