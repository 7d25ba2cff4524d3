// A browser client of the Tether IM protocol, written from PROTOCOL.md's "Rules for clients".
// Plain JavaScript, no build step, no library. One room per page.
//
// What it does, rule by rule:
// - join: the room is joined with `join` the first time; after every reconnect it is resumed with
//   `resume` (after = the last seq delivered, epoch = the room's epoch), before anything else is
//   written, so no chat is missed across a reconnect.
// - acks: every envelope has a fresh UUID as id and stays until an `ack` or a final `error` with
//   that id answers it; an unanswered chat is written again, same id, on the next connection (the
//   server's dedup makes that safe). Each of the page's own messages shows its delivery state:
//   queued (not written yet), sent (written, no ack yet), acked (with its seq), failed.
// - sender order: the page does not count what it writes (no `n`); instead it keeps at most one
//   chat in flight and writes the next when the previous is answered (stop-and-wait), so its chats
//   take seqs in the order they were typed, across rate limits, reconnects and lost frames, at the
//   cost of one round trip per chat.
// - offline queue: what is typed while the connection is down waits, in order, and is written once
//   the room is resumed.
// - dedup: per room a position (last seq delivered) and its epoch; a chat at or below the position
//   is dropped; one above position + 1 is a seq jump: dropped, and the room resumed from the
//   position. After a reset, a chat whose id was delivered recently is dropped too.
// - history_gap: told on the page ("N messages are no longer on the server"); the position moves
//   past the hole.
// - epochs and resets: a resume answered with `epoch_changed`, a chat or ack of another epoch, or
//   (from a server without epochs) an ack below the position: told on the page once, and the new
//   stream delivered from its start.
// - liveness: a plain text heartbeat ("hb:N") every 10 s, which the server echoes; no echo within
//   10 s, or no answer to an envelope within 10 s, means the link is dead: the page drops the
//   connection and reconnects, with backoff (0.25 s doubling to 5 s, jittered).
(function () {
  'use strict';

  const ACK_TIMEOUT_MS = 10000;
  const HEARTBEAT_MS = 10000;
  const BACKOFF_INITIAL_MS = 250;
  const BACKOFF_MAX_MS = 5000;
  const RECENT_IDS = 2000;

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------------------------- state
  let user = null;
  /** The one room: position and epoch per PROTOCOL.md; joined once the first join is acked. */
  const room = { name: null, position: 0, epoch: null, entered: false, resumeId: null, epochChangedFor: null };
  /** Chats typed and not yet answered, in order; the first may be in flight. */
  const outbox = [];
  /** Join/resume/leave written and unanswered, by id. */
  const control = new Map();
  /** Ids of chats delivered lately, to drop a resent chat a reset made new (PROTOCOL.md, Resets). */
  const recentIds = new Set();
  const recentOrder = [];
  /** Every chat delivered, in delivery order (for tests and curious readers). */
  const delivered = [];
  /** Own chats acked before their copy was delivered: their rows wait in #pending, by id. */
  const ownDone = new Map();

  let ws = null;           // the current socket, or null
  let connState = 'closed';
  let attempt = 0;
  let reconnectTimer = null;
  let inflight = null;     // the outbox entry written and unanswered, or null
  let pausedUntil = 0;     // rate_limited / unavailable: write nothing before this time
  let pauseTimer = null;
  let heartbeat = { timer: null, deadline: null, n: 0 };
  let counters = { connections: 0, reconnects: 0, resent: 0, duplicates: 0, gaps: 0, resets: 0 };

  // ------------------------------------------------------------------------------------ helpers
  function uuid() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b); // crypto.randomUUID needs a secure context; this works on plain http too
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function setConn(stateName, label) {
    connState = stateName;
    const el = $('conn');
    el.dataset.state = stateName;
    el.textContent = label;
    updateStats();
  }

  function updateStats() {
    $('stats').textContent = `connections ${counters.connections}, resent ${counters.resent},`
      + ` duplicates dropped ${counters.duplicates}, gaps ${counters.gaps}, resets ${counters.resets}`;
  }

  function scrollDown() {
    const main = $('chat');
    main.scrollTop = main.scrollHeight;
  }

  function notice(kind, text) {
    const li = document.createElement('li');
    li.className = 'notice';
    li.dataset.kind = kind;
    li.textContent = text;
    $('log').appendChild(li);
    scrollDown();
  }

  function row(from, text) {
    const li = document.createElement('li');
    li.className = 'msg';
    const f = document.createElement('span');
    f.className = 'from';
    f.textContent = from;
    const t = document.createElement('span');
    t.className = 'text';
    t.textContent = text;
    const s = document.createElement('span');
    s.className = 'state';
    li.append(f, t, s);
    return li;
  }

  function setDelivery(entry, stateName, label) {
    entry.state = stateName;
    entry.el.dataset.state = stateName;
    entry.el.querySelector('.state').textContent = label || stateName;
  }

  function rememberId(id) {
    if (recentIds.has(id)) {
      return;
    }
    recentIds.add(id);
    recentOrder.push(id);
    if (recentOrder.length > RECENT_IDS) {
      recentIds.delete(recentOrder.shift());
    }
  }

  // ---------------------------------------------------------------------------------- the wire
  function write(envelope) {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return false;
    }
    ws.send(JSON.stringify(envelope));
    return true;
  }

  /** Starts the answer timer of an envelope just written. */
  function expectAnswer(id) {
    const socket = ws;
    return setTimeout(() => {
      if (socket === ws) {
        lost(`no answer to ${id} within ${ACK_TIMEOUT_MS} ms`);
      }
    }, ACK_TIMEOUT_MS);
  }

  function sendControl(envelope) {
    if (write(envelope)) {
      control.set(envelope.id, { envelope, timer: expectAnswer(envelope.id) });
    }
  }

  function resume(after) {
    const env = { type: 'resume', id: uuid(), room: room.name, after };
    if (room.epoch) {
      env.epoch = room.epoch;
    }
    room.resumeId = env.id;
    sendControl(env);
  }

  /** Writes the next chat if nothing is in flight, the link is open and no pause is on. */
  function pump() {
    if (inflight || connState !== 'open' || outbox.length === 0) {
      return;
    }
    const wait = pausedUntil - Date.now();
    if (wait > 0) {
      clearTimeout(pauseTimer);
      pauseTimer = setTimeout(pump, wait);
      return;
    }
    const entry = outbox[0];
    if (!write({ type: 'chat', id: entry.id, room: room.name, body: { text: entry.text } })) {
      return;
    }
    if (entry.writes++ > 0) {
      counters.resent++;
    }
    inflight = entry;
    entry.timer = expectAnswer(entry.id);
    if (entry.state !== 'acked') {
      setDelivery(entry, 'sent');
    }
  }

  function answered(entry) {
    clearTimeout(entry.timer);
    if (inflight === entry) {
      inflight = null;
    }
    const i = outbox.indexOf(entry);
    if (i >= 0) {
      outbox.splice(i, 1);
    }
  }

  // ------------------------------------------------------------------------------- connection
  function connect() {
    reconnectTimer = null;
    setConn(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'connecting…' : `reconnecting (attempt ${attempt})…`);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/im?user=${encodeURIComponent(user)}`);
    ws = socket;
    socket.onopen = () => socket === ws && opened();
    socket.onmessage = (e) => socket === ws && received(e.data);
    socket.onclose = (e) => socket === ws && lost(`closed ${e.code}${e.reason ? ' ' + e.reason : ''}`);
    socket.onerror = () => {}; // a close follows
  }

  function opened() {
    attempt = 0;
    counters.connections++;
    setConn('open', 'online');
    // 1. the room first: joined the first time, resumed from its position after that
    if (room.entered) {
      resume(room.position);
    } else {
      sendControl({ type: 'join', id: uuid(), room: room.name });
    }
    // 2. then the unanswered chat and 3. what was queued: one at a time, in order
    pump();
    heartbeat.n = 0;
    heartbeat.timer = setInterval(beat, HEARTBEAT_MS);
  }

  function beat() {
    if (heartbeat.deadline) {
      return; // the last one is still out
    }
    const socket = ws;
    try {
      socket.send(`hb:${++heartbeat.n}`);
    } catch (e) {
      lost('cannot write a heartbeat');
      return;
    }
    heartbeat.deadline = setTimeout(() => socket === ws && lost(`no heartbeat echo within ${HEARTBEAT_MS} ms`), HEARTBEAT_MS);
  }

  /** The connection ended or is presumed dead: forget it, requeue what was in flight, reconnect. */
  function lost(why) {
    const socket = ws;
    ws = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      try {
        socket.close(4000, 'presumed dead');
      } catch (e) {
        // closing a dead socket may throw; it is gone either way
      }
    }
    clearInterval(heartbeat.timer);
    clearTimeout(heartbeat.deadline);
    heartbeat = { timer: null, deadline: null, n: 0 };
    control.forEach((c) => clearTimeout(c.timer));
    control.clear();
    room.resumeId = null;
    if (inflight) {
      clearTimeout(inflight.timer);
      if (inflight.state === 'sent') {
        setDelivery(inflight, 'queued', 'queued (unacked: will be sent again)');
      }
      inflight = null;
    }
    attempt++;
    counters.reconnects++;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (attempt - 1));
    const delay = Math.round(base * (0.5 + Math.random() / 2));
    setConn('reconnecting', `offline (${why}); reconnecting in ${(delay / 1000).toFixed(1)} s`);
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  // ---------------------------------------------------------------------------------- receiving
  function received(data) {
    if (typeof data !== 'string') {
      return; // binary frames are not part of the protocol
    }
    if (data.trimStart()[0] !== '{') {
      if (data.startsWith('hb:')) {
        clearTimeout(heartbeat.deadline);
        heartbeat.deadline = null;
      }
      return;
    }
    let env;
    try {
      env = JSON.parse(data);
    } catch (e) {
      console.warn('malformed envelope from the server', data);
      return;
    }
    switch (env.type) {
      case 'chat': onChat(env); break;
      case 'ack': onAck(env); break;
      case 'error': onError(env); break;
      default: break; // readers ignore what they do not know
    }
  }

  function reset(why) {
    counters.resets++;
    notice('reset', `The server lost room ${room.name}'s history after message #${room.position} (${why}):`
      + ' messages sent after it that did not reach you are gone. Continuing with the new stream.');
  }

  function onChat(env) {
    if (env.room !== room.name || !room.entered) {
      return;
    }
    if (env.epoch && room.epoch && env.epoch !== room.epoch) {
      reset('a message of a new stream arrived');
      room.epoch = env.epoch;
      room.position = 0;
    } else if (env.epoch && !room.epoch) {
      room.epoch = env.epoch;
    }
    if (env.seq <= room.position) {
      counters.duplicates++;
      updateStats();
      return;
    }
    if (env.seq > room.position + 1) {
      // A seq jump: something was missed. Drop it; the replay brings it and what came before.
      if (!room.resumeId) {
        resume(room.position);
      }
      return;
    }
    room.position = env.seq;
    if (recentIds.has(env.id)) {
      counters.duplicates++; // delivered in an older stream: the server forgot it in a reset
      updateStats();
      return;
    }
    rememberId(env.id);
    const text = env.body && typeof env.body.text === 'string' ? env.body.text : '';
    delivered.push({ id: env.id, from: env.from, seq: env.seq, epoch: env.epoch, text });
    const own = outbox.find((e) => e.id === env.id) || ownDone.get(env.id);
    let li;
    if (own) {
      li = own.el; // its state stays what its ack (or the lack of one) says
      ownDone.delete(env.id);
    } else {
      li = row(env.from, text);
    }
    li.dataset.id = env.id;
    li.dataset.seq = String(env.seq);
    li.dataset.from = env.from;
    $('log').appendChild(li);
    scrollDown();
  }

  function onAck(env) {
    const entry = outbox.find((e) => e.id === env.id);
    if (entry) {
      answered(entry);
      setDelivery(entry, 'acked', `acked #${env.seq}`);
      if (entry.el.parentElement === $('pending')) {
        ownDone.set(entry.id, entry);
      }
      pump();
      return;
    }
    const c = control.get(env.id);
    if (!c) {
      return; // an answer to a connection that is gone, or a duplicate
    }
    clearTimeout(c.timer);
    control.delete(env.id);
    if (c.envelope.type === 'join') {
      if (room.epoch && env.epoch && env.epoch !== room.epoch) {
        reset('its join answered with a new stream');
      }
      room.epoch = env.epoch || room.epoch;
      room.position = env.seq;
      room.entered = true;
      pump();
    } else if (c.envelope.type === 'resume') {
      const sawEpochChange = room.epochChangedFor === env.id;
      room.resumeId = null;
      if (!sawEpochChange && env.epoch && room.epoch && env.epoch !== room.epoch) {
        reset('its resume answered with a new stream');
        room.epoch = env.epoch;
        room.position = 0;
        resume(0);
      } else if (!env.epoch && env.seq < room.position) {
        reset('the server is behind the last message seen');
        room.position = 0;
        resume(0);
      } else {
        room.epoch = env.epoch || room.epoch;
      }
    }
  }

  function onError(env) {
    switch (env.code) {
      case 'history_gap':
        counters.gaps++;
        notice('gap', `${env.last - env.first + 1} message(s) of ${env.room} (#${env.first}–#${env.last})`
          + ' are no longer on the server and could not be shown.');
        if (room.position < env.last) {
          room.position = env.last;
        }
        return;
      case 'epoch_changed':
        reset('the server started the room anew');
        room.epochChangedFor = env.id;
        room.epoch = env.new_epoch;
        room.position = 0;
        return;
      default:
        break;
    }
    const entry = outbox.find((e) => e.id === env.id);
    const retry = env.code === 'rate_limited' || env.code === 'unavailable';
    if (entry) {
      clearTimeout(entry.timer);
      if (inflight === entry) {
        inflight = null;
      }
      if (retry) {
        pausedUntil = Date.now() + (env.retry_after || 1000);
        setDelivery(entry, 'queued', `queued (server busy: again in ${env.retry_after || 1000} ms)`);
      } else if (env.code === 'not_member' && !entry.rejoined) {
        entry.rejoined = true; // membership lost unnoticed: resume the room, then write it again
        resume(room.position);
      } else {
        answered(entry);
        setDelivery(entry, 'failed', `failed: ${env.message || env.code}`);
      }
      pump();
      return;
    }
    const c = control.get(env.id);
    if (c) {
      clearTimeout(c.timer);
      control.delete(env.id);
      if (retry) {
        setTimeout(() => connState === 'open' && sendControl(c.envelope), env.retry_after || 1000);
      } else {
        notice('error', `The server refused to ${c.envelope.type} ${room.name}: ${env.message || env.code}`);
      }
    }
  }

  // ---------------------------------------------------------------------------------- the page
  function send(text) {
    const entry = { id: uuid(), text, state: 'queued', writes: 0, timer: null, el: row(user, text) };
    entry.el.dataset.id = entry.id;
    outbox.push(entry);
    setDelivery(entry, 'queued');
    $('pending').appendChild(entry.el);
    scrollDown();
    pump();
  }

  function enter(name, roomName) {
    user = name;
    room.name = roomName;
    $('login').hidden = true;
    $('chat').hidden = false;
    $('compose').hidden = false;
    $('room-name').textContent = `${roomName} as ${name}`;
    document.title = `${roomName} · Tether chat`;
    $('text').focus();
    connect();
  }

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('user').value.trim();
    const roomName = $('room').value.trim();
    if (name && roomName) {
      enter(name, roomName);
    }
  });

  $('compose').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('text').value;
    if (text.trim()) {
      send(text);
      $('text').value = '';
    }
  });

  // ?user=NAME&room=ROOM enters at once.
  const params = new URLSearchParams(location.search);
  if (params.get('room')) {
    $('room').value = params.get('room');
  }
  if (params.get('user')) {
    enter(params.get('user'), $('room').value.trim() || 'lobby');
  } else {
    $('user').focus();
  }

  /** For tests and the console: what the page has delivered and what it still holds. */
  window.tetherChat = {
    delivered: () => delivered.slice(),
    outbox: () => outbox.map((e) => ({ id: e.id, text: e.text, state: e.state })),
    connection: () => connState,
    room: () => ({ name: room.name, position: room.position, epoch: room.epoch }),
    counters: () => Object.assign({}, counters),
  };
})();
