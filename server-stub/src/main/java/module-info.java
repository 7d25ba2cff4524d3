/**
 * Test tooling on top of {@code TetherServer}: {@code StubServer}, {@code FaultProxy},
 * {@code SelfSignedCertificate}. Only {@code dev.tether.stub} is exported.
 */
module dev.tether.stub {
  requires transitive dev.tether.server;
  requires org.slf4j;

  exports dev.tether.stub;
}
