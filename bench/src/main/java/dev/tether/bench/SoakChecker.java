package dev.tether.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads every soak client's {@link EventLog} after the run and judges it, room by room, the way
 * Jepsen's queue checkers do: every chat a sender had accepted must reach every member of the
 * room, once, in seq order and in the sender's order.
 *
 * <ul>
 *   <li><b>accepted</b>: its {@code send} returned ({@code S}); a chat whose future then failed
 *       ({@code F}) was reported to its sender and is not expected anywhere (failed while the soak
 *       was closing the clients: <b>not drained</b>, a failure of the run).
 *   <li><b>lost</b>: accepted, not failed, and never delivered to a member. A loss is
 *       <b>reported</b> if that member was told: by {@code onGap} naming its seq, or by
 *       {@code onReset} for the room after the chat was acked (or sent, if its ack is unknown).
 *       Otherwise it is <b>silent</b>.
 *   <li><b>duplicated</b>: delivered twice to one member process. A child client killed and
 *       started again may be given chats its killed incarnation already had (the client saves its
 *       room positions apart from the app's own processing, so across a SIGKILL it delivers at
 *       least once): <b>redelivered after a restart</b>, counted apart.
 *   <li><b>out of seq order</b>: a chat delivered with a seq not above the member's previous one
 *       (within one process, and not across a reported reset).
 *   <li><b>out of sender order</b>: a chat of a sender delivered after a later chat of the same
 *       sender (numbers from the ids, {@code user-n}).
 *   <li><b>seq conflicts</b>: one seq of a room given to two chats, or one chat seen at two seqs,
 *       in a room where nobody reported a reset.
 *   <li><b>unlogged</b>: delivered chats no log accepted; only a child killed between its
 *       {@code send} returning and its log line may cause these (it sent them, the checker cannot
 *       have expected them).
 * </ul>
 */
final class SoakChecker {
  /** A client whose log the checker reads. */
  record Participant(String user, String room, Path log, boolean child) {}

  /** Counters of one room, or of all of them. */
  static final class Counts {
    final String room;
    int members;
    long accepted;
    long failed;
    long notDrained;
    long expected;
    long delivered;
    long lostSilent;
    long lostGap;
    long lostReset;
    long duplicated;
    long redelivered;
    long outOfSeqOrder;
    long outOfSenderOrder;
    long gaps;
    long resets;
    long unlogged;
    long deliveredAfterFailure;
    long seqConflicts;

    Counts(String room) {
      this.room = room;
    }

    void add(Counts c) {
      members += c.members;
      accepted += c.accepted;
      failed += c.failed;
      notDrained += c.notDrained;
      expected += c.expected;
      delivered += c.delivered;
      lostSilent += c.lostSilent;
      lostGap += c.lostGap;
      lostReset += c.lostReset;
      duplicated += c.duplicated;
      redelivered += c.redelivered;
      outOfSeqOrder += c.outOfSeqOrder;
      outOfSenderOrder += c.outOfSenderOrder;
      gaps += c.gaps;
      resets += c.resets;
      unlogged += c.unlogged;
      deliveredAfterFailure += c.deliveredAfterFailure;
      seqConflicts += c.seqConflicts;
    }
  }

  /** The verdict: per room, the total, and examples of each violation for a bug report. */
  record Result(List<Counts> rooms, Counts total, List<String> examples) {
    /** No silent loss, no duplicate, seq order kept, no seq conflict, everything drained. */
    boolean passed(boolean strictSenderOrder) {
      return total.lostSilent == 0 && total.duplicated == 0 && total.outOfSeqOrder == 0
          && total.seqConflicts == 0 && total.notDrained == 0
          && (!strictSenderOrder || total.outOfSenderOrder == 0);
    }
  }

  /** A chat as its sender logged it. */
  private static final class Msg {
    final String id;
    final String sender;
    long sentMicros;
    long seq = -1;
    long ackMicros = -1;
    boolean failed;
    boolean failedClosing;
    String failure;

    Msg(String id, String sender) {
      this.id = id;
      this.sender = sender;
    }

    long acceptedMicros() {
      return ackMicros > 0 ? ackMicros : sentMicros;
    }
  }

  private record Delivery(String room, long seq, String id, long micros) {}

  private record Report(String room, long from, long to, long micros, int incarnation) {}

  private static final int MAX_EXAMPLES = 6;

  private final List<Participant> participants;
  private final List<String> examples = new ArrayList<>();
  private final Map<String, Integer> exampleCounts = new HashMap<>();

  SoakChecker(List<Participant> participants) {
    this.participants = participants;
  }

  Result check() {
    Map<String, List<Participant>> byRoom = new TreeMap<>();
    participants.forEach(p -> byRoom.computeIfAbsent(p.room(), r -> new ArrayList<>()).add(p));
    Counts total = new Counts("all");
    List<Counts> rooms = new ArrayList<>();
    for (var e : byRoom.entrySet()) {
      Counts c = checkRoom(e.getKey(), e.getValue());
      rooms.add(c);
      total.add(c);
    }
    return new Result(rooms, total, List.copyOf(examples));
  }

  private Counts checkRoom(String room, List<Participant> members) {
    Counts c = new Counts(room);
    c.members = members.size();
    Map<String, Msg> accepted = new LinkedHashMap<>();
    Set<String> failedIds = new HashSet<>();
    for (Participant p : members) {
      readSends(p, accepted);
    }
    for (Msg m : accepted.values()) {
      if (m.failed) {
        failedIds.add(m.id);
        c.failed++;
        if (m.failedClosing) {
          c.notDrained++;
          example("not drained", room + ": " + m.id + " still waiting when the soak closed its sender");
        } else {
          example("failed", room + ": " + m.id + " (sent " + time(m.sentMicros) + "): " + m.failure);
        }
      }
    }
    c.accepted = accepted.size();
    long expectedPerMember = c.accepted - c.failed;
    c.expected = expectedPerMember * members.size();

    Map<Long, String> idAtSeq = new HashMap<>();
    Map<String, Long> seqOfId = new HashMap<>();
    Set<Long> conflicts = new HashSet<>();
    for (Msg m : accepted.values()) {
      if (m.seq > 0) {
        seqOfId.put(m.id, m.seq);
        String other = idAtSeq.putIfAbsent(m.seq, m.id);
        if (other != null && !other.equals(m.id)) {
          conflicts.add(m.seq);
        }
      }
    }
    List<String[]> conflictExamples = new ArrayList<>();
    for (Participant p : members) {
      ReceiverLog r = readDeliveries(p);
      c.gaps += r.gaps.size();
      c.resets += r.resets.size();
      judge(room, p, r, accepted, failedIds, c);
      for (List<Delivery> inc : r.incarnations) {
        for (Delivery d : inc) {
          Long s = seqOfId.putIfAbsent(d.id, d.seq);
          String other = idAtSeq.putIfAbsent(d.seq, d.id);
          if (((s != null && s != d.seq) || (other != null && !other.equals(d.id))) && conflicts.add(d.seq)) {
            conflictExamples.add(new String[] {p.user(), d.id, Long.toString(d.seq), other, String.valueOf(s)});
          }
        }
      }
    }
    if (c.resets == 0) {
      c.seqConflicts = conflicts.size();
      for (String[] x : conflictExamples) {
        example("seq conflict", room + ": " + x[0] + " got " + x[1] + " at seq " + x[2] + ", where "
            + x[3] + " was seen (and " + x[1] + " at seq " + x[4] + ")");
      }
    }
    return c;
  }

  private void judge(String room, Participant p, ReceiverLog r, Map<String, Msg> accepted, Set<String> failedIds,
      Counts c) {
    Set<String> seenAll = new HashSet<>();
    for (int inc = 0; inc < r.incarnations.size(); inc++) {
      Set<String> seenHere = new HashSet<>();
      Map<String, Long> lastN = new HashMap<>();
      long lastSeq = 0;
      int nextReset = 0;
      List<Report> resets = r.resetsOf(inc);
      for (Delivery d : r.incarnations.get(inc)) {
        while (nextReset < resets.size() && resets.get(nextReset).micros() <= d.micros) {
          lastSeq = 0; // a new stream: its seqs start again
          nextReset++;
        }
        if (!seenHere.add(d.id)) {
          c.duplicated++;
          example("duplicated", room + ": " + p.user() + " got " + d.id + " twice (now at seq " + d.seq
              + ", " + time(d.micros) + ")");
          continue;
        }
        if (!seenAll.add(d.id)) {
          c.redelivered++;
        }
        if (d.seq <= lastSeq) {
          c.outOfSeqOrder++;
          example("out of seq order", room + ": " + p.user() + " got seq " + d.seq + " (" + d.id
              + ") after seq " + lastSeq + " at " + time(d.micros));
        }
        lastSeq = Math.max(lastSeq, d.seq);
        int dash = d.id.lastIndexOf('-');
        if (dash > 0) {
          String sender = d.id.substring(0, dash);
          long n = Long.parseLong(d.id, dash + 1, d.id.length(), 10);
          Long before = lastN.get(sender);
          if (before != null && n < before) {
            c.outOfSenderOrder++;
            example("out of sender order", room + ": " + p.user() + " got " + d.id + " (seq " + d.seq
                + ") after " + sender + "-" + before + " at " + time(d.micros));
          }
          lastN.put(sender, before == null ? n : Math.max(before, n));
        }
        if (!accepted.containsKey(d.id)) {
          c.unlogged++;
        } else if (failedIds.contains(d.id)) {
          c.deliveredAfterFailure++;
        }
      }
    }
    for (Msg m : accepted.values()) {
      if (m.failed) {
        continue;
      }
      if (seenAll.contains(m.id)) {
        c.delivered++;
        continue;
      }
      if (r.gaps.stream().anyMatch(g -> m.seq > 0 && g.from() <= m.seq && m.seq <= g.to())) {
        c.lostGap++;
      } else if (r.resets.stream().anyMatch(x -> x.micros() >= m.acceptedMicros())) {
        c.lostReset++;
      } else {
        c.lostSilent++;
        example("lost silently", room + ": " + m.id + " (sent " + time(m.sentMicros)
            + (m.seq > 0 ? ", acked seq " + m.seq + " at " + time(m.ackMicros) : ", ack not logged")
            + ") never delivered to " + p.user() + acrossRestart(r, m.seq));
      }
    }
  }

  /**
   * For a chat a restarted process never got: the incarnation boundary it fell into, as
   * {@code "; its process was killed after delivering seq 897 and the next one began at seq 899"}.
   */
  private static String acrossRestart(ReceiverLog r, long seq) {
    for (int i = 0; seq > 0 && i + 1 < r.incarnations.size(); i++) {
      long last = r.incarnations.get(i).stream().mapToLong(Delivery::seq).max().orElse(0);
      long next = r.incarnations.get(i + 1).stream().mapToLong(Delivery::seq).findFirst().orElse(Long.MAX_VALUE);
      if (last < seq && seq < next) {
        return "; incarnation " + (i + 1) + " of its process delivered up to seq " + last + " and was killed,"
            + " incarnation " + (i + 2) + " began at seq " + next;
      }
    }
    return "";
  }

  private void example(String kind, String text) {
    int n = exampleCounts.merge(kind, 1, Integer::sum);
    if (n <= MAX_EXAMPLES) {
      examples.add(kind + ": " + text);
    }
  }

  static String time(long micros) {
    return DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC)
        .format(Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1000));
  }

  private static Stream<String[]> lines(Path log) {
    try {
      return Files.lines(log, StandardCharsets.UTF_8).map(l -> l.split(" ", -1));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + log, e);
    }
  }

  /** Adds the chats {@code p} had accepted; marks their acks and failures. */
  private static void readSends(Participant p, Map<String, Msg> accepted) {
    boolean[] closing = {false};
    try (Stream<String[]> lines = lines(p.log())) {
      lines.forEach(f -> {
        try {
          switch (f[0]) {
            case "S" -> {
              long micros = Long.parseLong(f[3]); // parsed first: a torn line changes nothing
              Msg m = accepted.computeIfAbsent(f[2], id -> new Msg(id, p.user()));
              if (m.sentMicros == 0) {
                m.sentMicros = micros;
              }
            }
            case "A" -> {
              long seq = Long.parseLong(f[2]);
              long micros = Long.parseLong(f[3]);
              Msg m = accepted.get(f[1]);
              if (m != null) {
                m.seq = seq;
                m.ackMicros = micros;
              }
            }
            case "F" -> {
              Msg m = f.length < 4 ? null : accepted.get(f[1]);
              if (m != null && m.ackMicros < 0) {
                m.failed = true;
                m.failedClosing = closing[0];
                String reason = String.join(" ", java.util.Arrays.asList(f).subList(3, f.length));
                if (m.failure == null || m.failure.equals("reported FAILED")) {
                  m.failure = reason;
                }
              }
            }
            case "Z" -> closing[0] = true;
            case "K" -> closing[0] = false;
            default -> { }
          }
        } catch (RuntimeException torn) {
          // a line cut short by a SIGKILL says nothing
        }
      });
    }
  }

  /** What one member was given, per process incarnation, and what it was told it missed. */
  private static final class ReceiverLog {
    final List<List<Delivery>> incarnations = new ArrayList<>();
    final List<Report> gaps = new ArrayList<>();
    final List<Report> resets = new ArrayList<>();

    List<Report> resetsOf(int incarnation) {
      return resets.stream().filter(r -> r.incarnation() == incarnation).toList();
    }
  }

  private static ReceiverLog readDeliveries(Participant p) {
    ReceiverLog r = new ReceiverLog();
    r.incarnations.add(new ArrayList<>());
    boolean[] started = {false};
    try (Stream<String[]> lines = lines(p.log())) {
      lines.forEach(f -> {
        try {
          int inc = r.incarnations.size() - 1;
          switch (f[0]) {
            case "K" -> {
              if (started[0]) {
                r.incarnations.add(new ArrayList<>());
              }
              started[0] = true;
            }
            case "D" -> r.incarnations.get(inc).add(new Delivery(f[1], Long.parseLong(f[2]), f[3], Long.parseLong(f[5])));
            case "G" -> r.gaps.add(new Report(f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]), inc));
            case "R" -> r.resets.add(new Report(f[1], Long.parseLong(f[2]), 0, Long.parseLong(f[3]), inc));
            default -> { }
          }
        } catch (RuntimeException torn) {
          // a line cut short by a SIGKILL says nothing
        }
      });
    }
    return r;
  }
}
