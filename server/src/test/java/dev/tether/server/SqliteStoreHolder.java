package dev.tether.server;

/**
 * A process that opens {@code RoomStore.sqlite(args[0])}, prints {@code open}, and holds it until
 * it is killed: the other server of {@link SqliteRoomStoreTest}'s one-server-per-file test.
 */
public final class SqliteStoreHolder {
  private SqliteStoreHolder() {}

  public static void main(String[] args) throws Exception {
    RoomStore store = RoomStore.sqlite(java.nio.file.Path.of(args[0]));
    System.out.println("open");
    System.out.flush();
    new java.util.concurrent.CountDownLatch(1).await();
    store.close();
  }
}
