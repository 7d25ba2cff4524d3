package dev.tether.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DedupTest {
  @Test
  void remembersSeqPerUserAndForgetsTheLeastRecentlyUsed() {
    Dedup dedup = new Dedup(2);
    dedup.remember("alice", "m1", 1);
    dedup.remember("bob", "m1", 2);
    assertThat(dedup.seqOf("alice", "m1")).isEqualTo(1); // now most recently used
    dedup.remember("alice", "m2", 3);
    assertThat(dedup.seqOf("bob", "m1")).isNull();
    assertThat(dedup.seqOf("alice", "m1")).isEqualTo(1);
    assertThat(dedup.seqOf("alice", "m2")).isEqualTo(3);
  }
}
