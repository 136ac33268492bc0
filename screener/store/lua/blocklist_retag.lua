-- Point an entry at other metadata and move it from the old record's count to the new one's.
--
-- KEYS[1]  the entry's bucket, or the prefixes hash (bl:p) for a prefix
-- KEYS[2]  the number of entries of each metadata record (bl:meta:count)
-- ARGV[1]  the entry's digits
-- ARGV[2]  the new metadata id
--
-- Returns the metadata id the entry had, or nil when it was not listed.

local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return false end
if old ~= ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  if redis.call('HINCRBY', KEYS[2], old, -1) <= 0 then redis.call('HDEL', KEYS[2], old) end
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
end
return old
