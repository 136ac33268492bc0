-- Take an entry off the list and uncount it, atomically: the count must drop for the metadata id
-- actually removed.
--
-- KEYS[1]  the entry's bucket, or the prefixes hash (bl:p) for a prefix
-- KEYS[2]  the number of entries (bl:count)
-- KEYS[3]  the number of entries of each metadata record (bl:meta:count)
-- ARGV[1]  the entry's digits
--
-- Returns the metadata id the entry had, or nil when it was not listed.

local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DECR', KEYS[2])
if redis.call('HINCRBY', KEYS[3], id, -1) <= 0 then redis.call('HDEL', KEYS[3], id) end
return id
