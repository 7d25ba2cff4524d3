/**
 * The runnable samples ({@code java -jar tether-samples.jar demo|chat|server}): picocli commands
 * built on the public API only. An application, not a library: nothing here is meant to be called.
 */
package dev.tether.samples;
