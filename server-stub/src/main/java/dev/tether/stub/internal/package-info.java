/**
 * How the stub server and the fault proxy work inside. Not API: not exported by the module
 * {@code dev.tether.stub}, not in the published javadoc, and free to change in any release.
 */
package dev.tether.stub.internal;
