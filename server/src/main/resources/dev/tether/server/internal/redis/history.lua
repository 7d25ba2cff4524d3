-- A page of a room's history with the room's state, as one snapshot; never creates anything
-- (RedisRoomStore.history, and the feeds' catch-up reads).
-- KEYS: 1 room meta, 2 room stream
-- ARGV: 1 the first stream id to read ('' to read none), 2 how many at most
-- Returns {epoch ('' for no room), oldest held seq (0 if none), top seq, seq1, frame1, seq2, ...}
local meta, hist = KEYS[1], KEYS[2]
local m = redis.call('HMGET', meta, 'e', 's')
if not m[1] then
  return {'', 0, 0}
end
local first = redis.call('XRANGE', hist, '-', '+', 'COUNT', 1)
local oldest = 0
if #first > 0 then
  oldest = tonumber(string.match(first[1][1], '^(%d+)'))
end
local out = {m[1], oldest, tonumber(m[2])}
if ARGV[1] ~= '' then
  local entries = redis.call('XRANGE', hist, ARGV[1], '+', 'COUNT', ARGV[2])
  for _, e in ipairs(entries) do
    out[#out + 1] = string.match(e[1], '^(%d+)')
    out[#out + 1] = e[2][2]
  end
end
return out
