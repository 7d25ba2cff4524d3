-- One chat, atomically: dedup, sender order, stream, seq, history, dedup record, publication.
-- (RedisRoomStore; its class comment names the keys.)
-- KEYS: 1 room meta (hash e = epoch, s = top seq, b = bytes of history), 2 room stream (history), 3 user dedup hash
--       (id -> "seq:ts:epoch:room"), 4 user dedup order (zset id -> accept time)
-- ARGV: 1 id, 2 room, 3 head, 4 mid, 5 tail, 6 layout: where the seq (s) and epoch (e) go between
--       head, mid and tail ('se', 'es', 's', 'e' or ''); or 'cas': 3 is the whole frame, rendered for
--       seq 5 of epoch 4, stored only if that is the room's next seq (a seq of 0 only asks which
--       one is), 7 ts, 8 now (ms, for dedup ageing), 9 history limit, 10 the epoch to start
--       if a new stream is needed, 11 channel, 12 floor seq, 13 floor epoch ('' for none),
--       14 id of the sender's previous chat in this room still in flight ('' for none),
--       15 dedup max count per user, 16 dedup max age ms, 17 key prefix, 18 history bytes limit
-- Returns {'ok', seq, epoch, rotated} | {'dup', seq, ts, epoch} | {'order'} | {'next', epoch, seq}
--   ('cas' only: the frame must be rendered for that seq and epoch)
local meta, hist, dd, ddo = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, room = ARGV[1], ARGV[2]

-- 1. Dedup comes first: a duplicate changes nothing, not even which rooms exist. A record counts
--    while the stream it got its seq in is still its room's stream; one of a lost stream is
--    forgotten, and the chat is taken as new.
local rec = redis.call('HGET', dd, id)
if rec then
  local s, ts, e, r = string.match(rec, '^(%d+):(%-?%d+):([^:]+):(.*)$')
  local current
  if r == room then
    current = redis.call('HGET', meta, 'e')
  else
    current = redis.call('HGET', ARGV[17] .. ':r:{' .. r .. '}:m', 'e')
  end
  if current == e then
    return {'dup', s, ts, e}
  end
end

-- 2. Sender order across partial failures: a chat pipelined behind one of the same sender and room
--    that failed in Redis (NOSCRIPT, OOM) is refused, and nothing changes.
if ARGV[14] ~= '' and redis.call('HEXISTS', dd, ARGV[14]) == 0 then
  return {'order'}
end

-- 3. Which stream. A new one when the meta is gone (restart without persistence, eviction), when
--    the history is ahead of the meta (keys lost separately; this also keeps the XADD below from
--    failing half-way), or when the meta is behind what this node already saw of the same epoch
--    (a failover that lost acknowledged writes): seqs are never given twice in one epoch.
local m = redis.call('HMGET', meta, 'e', 's')
local epoch, top = m[1], tonumber(m[2] or '0')
local last = redis.call('XREVRANGE', hist, '+', '-', 'COUNT', 1)
local ahead = #last > 0 and tonumber(string.match(last[1][1], '^(%d+)')) > top
local rotated = 0
if not epoch or ahead or (ARGV[13] == epoch and top < tonumber(ARGV[12])) then
  epoch = ARGV[10]
  redis.call('DEL', hist)
  redis.call('HSET', meta, 'e', epoch, 's', 0, 'b', 0)
  rotated = 1
end

local layout = ARGV[6]
if layout == 'cas' and (epoch ~= ARGV[4] or string.format('%d', top + 1) ~= ARGV[5]) then
  return {'next', epoch, top + 1}
end

-- 4. Seq, history entry, dedup record. Every check is above: none of these can fail.
local seq = redis.call('HINCRBY', meta, 's', 1)
local seqs = string.format('%d', seq)
local frame
if layout == 'se' then
  frame = ARGV[3] .. seqs .. ARGV[4] .. epoch .. ARGV[5]
elseif layout == 'es' then
  frame = ARGV[3] .. epoch .. ARGV[4] .. seqs .. ARGV[5]
elseif layout == 's' then
  frame = ARGV[3] .. seqs .. ARGV[4]
elseif layout == 'e' then
  frame = ARGV[3] .. epoch .. ARGV[4]
else
  frame = ARGV[3]
end
redis.call('XADD', hist, seqs .. '-0', 'f', frame)
-- The history keeps the newest chats up to the count and the bytes (the newest whatever its size),
-- dropping at most 100 a chat (a limit lowered a lot is reached over the next chats).
local bytes = redis.call('HINCRBY', meta, 'b', #frame)
local held = redis.call('XLEN', hist)
local limit, maxBytes = tonumber(ARGV[9]), tonumber(ARGV[18])
local dropped = 0
while held > 1 and (held > limit or bytes > maxBytes) and dropped < 100 do
  local oldest = redis.call('XRANGE', hist, '-', '+', 'COUNT', 1)[1]
  redis.call('XDEL', hist, oldest[1])
  bytes = redis.call('HINCRBY', meta, 'b', -#oldest[2][2])
  held = held - 1
  dropped = dropped + 1
end
local now = tonumber(ARGV[8])
redis.call('HSET', dd, id, seqs .. ':' .. ARGV[7] .. ':' .. epoch .. ':' .. room)
redis.call('ZADD', ddo, now, id)
-- The dedup memory is bounded by count, then by age, at most 64 evictions a chat.
local over = redis.call('ZCARD', ddo) - tonumber(ARGV[15])
local old
if over > 0 then
  old = redis.call('ZRANGE', ddo, 0, math.min(over, 64) - 1)
else
  old = redis.call('ZRANGEBYSCORE', ddo, '-inf', now - tonumber(ARGV[16]), 'LIMIT', 0, 64)
end
if #old > 0 then
  redis.call('HDEL', dd, unpack(old))
  redis.call('ZREM', ddo, unpack(old))
end
local ttl = math.ceil(tonumber(ARGV[16]) / 1000)
redis.call('EXPIRE', dd, ttl)
redis.call('EXPIRE', ddo, ttl)

-- 5. Every node following the room learns of it. Scripts run one at a time, so publications of a
--    room come in seq order.
redis.call('PUBLISH', ARGV[11], seqs .. ':' .. epoch .. ':' .. frame)
return {'ok', seq, epoch, rotated}
