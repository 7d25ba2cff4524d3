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
 *       <b>reported</b> if that member was told: by {@code onGap} naming its seq, or by an
 *       {@code onReset} it reported after the chat was sent that ended the chat's stream below the
 *       chat's seq. The stream a reset ended is the epoch of the member's last delivery before it,
 *       the chat's is the epoch other members got it in; where either is unknown, any such reset
 *       below the chat's seq counts (and any at all if the chat's ack is unknown). Otherwise the
 *       loss is <b>silent</b>.
 *   <li><b>duplicated</b>: delivered twice to one member process. A child client killed and
 *       started again may be given chats its killed incarnation already had (the client saves a
 *       room's position once the delegate returned, so a process killed in between gets the chat
 *       again: at least once across a SIGKILL): <b>redelivered after a restart</b>, counted apart.
 *   <li><b>out of seq order</b>: a chat delivered with a seq not above the member's previous one
 *       (within one process, and not across a reported reset).
 *   <li><b>out of sender order</b>: a chat of a sender delivered after a later chat of the same
 *       sender (numbers from the ids, {@code user-n}).
 *   <li><b>seq conflicts</b>: one seq of a room given to two chats, or one chat seen at two seqs.
 *       In a room where a member reported a reset, seqs start again in each epoch (the stream a
 *       delivered chat names) and a chat resent after a reset is taken again in the new one: there
 *       the deliveries are compared per epoch, and the acks (which name no epoch) and deliveries
 *       from a server without epochs are left out.
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
  }

  /** A chat given to a member; {@code epoch} is "" if the log line names none. */
  private record Delivery(String room, long seq, String id, long micros, String epoch) {}

  /**
   * A gap ({@code from..to}) or a reset ({@code from}: the last seq before it; {@code epoch}: the
   * stream it ended, "" if unknown) the member reported.
   */
  private record Report(String room, long from, long to, long micros, int incarnation, String epoch) {}

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

    List<ReceiverLog> logs = new ArrayList<>();
    Map<String, String> epochOf = new HashMap<>();
    for (Participant p : members) {
      ReceiverLog r = readDeliveries(p);
      logs.add(r);
      r.incarnations.forEach(inc -> inc.forEach(d -> {
        if (!d.epoch().isEmpty()) {
          epochOf.putIfAbsent(d.id(), d.epoch());
        }
      }));
    }
    for (int i = 0; i < members.size(); i++) {
      ReceiverLog r = logs.get(i);
      c.gaps += r.gaps.size();
      c.resets += r.resets.size();
      judge(room, members.get(i), r, accepted, failedIds, epochOf, c);
    }
    boolean perEpoch = c.resets > 0;
    // Keys: "epoch/seq" -> id, and "id/epoch" -> seq; the epoch is "" when compared across epochs.
    Map<String, String> idAt = new HashMap<>();
    Map<String, Long> seqOf = new HashMap<>();
    Set<String> conflicts = new HashSet<>();
    if (!perEpoch) {
      for (Msg m : accepted.values()) {
        if (m.seq > 0) {
          seqOf.put(m.id + "/", m.seq);
          String other = idAt.putIfAbsent("/" + m.seq, m.id);
          if (other != null && !other.equals(m.id)) {
            conflicts.add("/" + m.seq);
          }
        }
      }
    }
    for (int i = 0; i < members.size(); i++) {
      for (List<Delivery> inc : logs.get(i).incarnations) {
        for (Delivery d : inc) {
          if (perEpoch && d.epoch().isEmpty()) {
            continue; // a stream without epochs cannot be told apart from the one before its reset
          }
          String epoch = perEpoch ? d.epoch() : "";
          String at = epoch + "/" + d.seq();
          Long s = seqOf.putIfAbsent(d.id() + "/" + epoch, d.seq());
          String other = idAt.putIfAbsent(at, d.id());
          if (((s != null && s != d.seq()) || (other != null && !other.equals(d.id()))) && conflicts.add(at)) {
            example("seq conflict", room + ": " + members.get(i).user() + " got " + d.id() + " at seq " + d.seq()
                + (perEpoch ? " of epoch " + d.epoch() : "") + ", where " + other + " was seen (and " + d.id()
                + " at seq " + s + ")");
          }
        }
      }
    }
    c.seqConflicts = conflicts.size();
    return c;
  }

  private void judge(String room, Participant p, ReceiverLog r, Map<String, Msg> accepted, Set<String> failedIds,
      Map<String, String> epochOf, Counts c) {
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
      } else if (coveredByReset(r, m, epochOf.getOrDefault(m.id, ""))) {
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
   * True if a reset the member reported after {@code m} was sent ended {@code m}'s stream (epoch
   * {@code epoch}, "" if unknown) below {@code m}'s seq: that reset told it {@code m} was lost. A
   * reset of another stream says nothing about {@code m}, even if its seqs ended lower.
   */
  private static boolean coveredByReset(ReceiverLog r, Msg m, String epoch) {
    for (Report reset : r.resets) {
      if (reset.micros() < m.sentMicros) {
        continue;
      }
      if (m.seq <= 0) {
        return true;
      }
      boolean sameStream = epoch.isEmpty() || reset.epoch().isEmpty() || reset.epoch().equals(epoch);
      if (sameStream && reset.from() < m.seq) {
        return true;
      }
    }
    return false;
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
    String[] lastEpoch = {""};
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
            case "D" -> {
              Delivery d = new Delivery(f[1], Long.parseLong(f[2]), f[3], Long.parseLong(f[5]),
                  f.length > 6 && !f[6].equals("null") ? f[6] : "");
              r.incarnations.get(inc).add(d);
              lastEpoch[0] = d.epoch();
            }
            case "G" -> r.gaps.add(new Report(f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]), inc,
                ""));
            case "R" -> {
              r.resets.add(new Report(f[1], Long.parseLong(f[2]), 0, Long.parseLong(f[3]), inc, lastEpoch[0]));
              lastEpoch[0] = ""; // the next stream's epoch is known once one of its chats arrives
            }
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
