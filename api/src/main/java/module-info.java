/**
 * Tether's API: the socket and its delegate, envelopes, acks and the JSON codec. No Jakarta types:
 * client and server both build on it.
 */
module dev.tether.api {
  requires com.fasterxml.jackson.databind;

  exports dev.tether.api;
}
