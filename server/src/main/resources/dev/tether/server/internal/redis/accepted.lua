-- What a chat was given when it was accepted, if its stream is still its room's (RedisRoomStore.accepted).
-- KEYS: 1 user dedup hash
-- ARGV: 1 id, 2 key prefix
-- Returns {seq, ts, epoch}, or {} if there is no such chat
local rec = redis.call('HGET', KEYS[1], ARGV[1])
if not rec then
  return {}
end
local s, ts, e, r = string.match(rec, '^(%d+):(%-?%d+):([^:]+):(.*)$')
if redis.call('HGET', ARGV[2] .. ':r:{' .. r .. '}:m', 'e') ~= e then
  return {}
end
return {s, ts, e}
