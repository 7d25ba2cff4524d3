/**
 * Test tooling for applications built on Tether: {@link dev.tether.stub.StubServer}, a
 * {@link dev.tether.server.TetherServer} with test-friendly limits, a recorder of what it receives
 * and fault tools; {@link dev.tether.stub.FaultProxy}, a TCP proxy that drops, holds, delays or loses
 * what passes; {@link dev.tether.stub.SelfSignedCertificate} for {@code wss} tests. Put the artifact
 * in test scope.
 */
package dev.tether.stub;
