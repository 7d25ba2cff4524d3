/**
 * permessage-deflate (RFC 7692) as a Tyrus extension, {@link dev.tether.deflate.PerMessageDeflate},
 * over {@code java.util.zip}: used by {@code TetherClient} with {@code compression(true)} on Tyrus and
 * by {@code TetherServer.listen}. Applications do not normally touch it.
 */
package dev.tether.deflate;
