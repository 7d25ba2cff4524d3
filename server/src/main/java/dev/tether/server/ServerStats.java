package dev.tether.server;

/**
 * A snapshot of a {@link TetherServer}'s counters, from {@link TetherServer#stats()}. Counts are
 * since the server was built, in this process; an immutable value.
 *
 * @param connections WebSocket connections open now
 * @param rooms rooms with at least one member connected to this server now
 * @param chatsAccepted chats given a new seq (duplicates not counted)
 * @param resumes {@code resume} requests answered
 * @param gaps {@code history_gap} errors sent: resumes from further back than the history holds
 * @param dedupHits chats acked again with their original seq instead of being accepted twice
 * @param slowMembersClosed connections closed with 1013 because they did not read fast enough
 *     (their member queue overflowed)
 */
public record ServerStats(
    int connections,
    int rooms,
    long chatsAccepted,
    long resumes,
    long gaps,
    long dedupHits,
    long slowMembersClosed) {}
