-- A room's stream, creating it if needed (RedisRoomStore.open).
-- KEYS: 1 room meta, 2 room stream
-- ARGV: 1 the epoch to start if a new stream is needed, 2 floor seq, 3 floor epoch ('' for none)
-- Returns {epoch, top seq}
local meta, hist = KEYS[1], KEYS[2]
local m = redis.call('HMGET', meta, 'e', 's')
local epoch, top = m[1], tonumber(m[2] or '0')
local last = redis.call('XREVRANGE', hist, '+', '-', 'COUNT', 1)
local ahead = #last > 0 and tonumber(string.match(last[1][1], '^(%d+)')) > top
if not epoch or ahead or (ARGV[3] == epoch and top < tonumber(ARGV[2])) then
  epoch, top = ARGV[1], 0
  redis.call('DEL', hist)
  redis.call('HSET', meta, 'e', epoch, 's', 0, 'b', 0)
end
return {epoch, top}
