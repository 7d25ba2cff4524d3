/**
 * How {@link dev.tether.client.TetherClient} works inside: lifecycle, delivery, inbound and
 * outbound paths, store sync. Not API: not exported by the module {@code dev.tether.client}, not
 * in the published javadoc, and free to change in any release.
 */
package dev.tether.client.internal;
