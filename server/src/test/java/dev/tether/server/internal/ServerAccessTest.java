package dev.tether.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.server.TetherServer;
import org.junit.jupiter.api.Test;

class ServerAccessTest {
  @Test
  void theAccessIsInstalledOnceAndCannotBeReplaced() {
    ServerAccess installed = ServerAccess.get();
    assertThat(installed).isNotNull();
    assertThatThrownBy(() -> ServerAccess.install(new ServerAccess() {
      @Override
      public Hub hub(TetherServer server) {
        return null;
      }

      @Override
      public TetherServer build(TetherServer.Builder builder, Tap tap) {
        return null;
      }
    })).isInstanceOf(IllegalStateException.class).hasMessage("ServerAccess is installed already");
    assertThat(ServerAccess.get()).isSameAs(installed);
  }
}
