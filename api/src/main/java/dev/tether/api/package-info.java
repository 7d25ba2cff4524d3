/**
 * Tether's API, shared by client and server: {@link dev.tether.api.TetherSocket} (a WebSocket for
 * instant messaging, after SocketRocket's {@code SRWebSocket}) and its
 * {@link dev.tether.api.SocketDelegate}, {@link dev.tether.api.ReadyState}, the protocol's values
 * ({@link dev.tether.api.Envelope}, {@link dev.tether.api.Ack}, {@link dev.tether.api.ErrorReply})
 * and {@link dev.tether.api.EnvelopeCodec}, their JSON form (PROTOCOL.md).
 *
 * <p>Values are immutable records, safe to share between threads. Nothing here depends on Jakarta
 * WebSocket; the codec uses Jackson.
 */
package dev.tether.api;
