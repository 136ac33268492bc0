-- Point an entry at other metadata and move it from the old record's count to the new one's. The change
-- goes on the change stream (a retag can turn a blocking entry into a screening one).
--
-- KEYS[1]  the entry's bucket, or the prefixes hash (bl:p) for a prefix
-- KEYS[2]  the number of entries of each metadata record (bl:meta:count)
-- KEYS[3]  the change stream (bl:changes)
-- ARGV[1]  the entry's digits, followed by '*' for a prefix (as the change stream names it)
-- ARGV[2]  the new metadata id
-- ARGV[3]  how many change stream entries to keep (about)
--
-- Returns the metadata id the entry had, or nil when it was not listed.

local field = string.gsub(ARGV[1], '%*$', '')
local old = redis.call('HGET', KEYS[1], field)
if not old then return false end
if old ~= ARGV[2] then
  redis.call('HSET', KEYS[1], field, ARGV[2])
  if redis.call('HINCRBY', KEYS[2], old, -1) <= 0 then redis.call('HDEL', KEYS[2], old) end
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'op', 'a', 'm', ARGV[2], 'e', ARGV[1])
end
return old
