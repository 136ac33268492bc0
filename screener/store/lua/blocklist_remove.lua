-- Take an entry off the list and uncount it, atomically: the count must drop for the metadata id
-- actually removed. The removal goes on the change stream (store/list_copy.py).
--
-- KEYS[1]  the entry's bucket, or the prefixes hash (bl:p) for a prefix
-- KEYS[2]  the number of entries (bl:count)
-- KEYS[3]  the number of entries of each metadata record (bl:meta:count)
-- KEYS[4]  the change stream (bl:changes)
-- ARGV[1]  the entry's digits, followed by '*' for a prefix (as the change stream names it)
-- ARGV[2]  how many change stream entries to keep (about)
--
-- Returns the metadata id the entry had, or nil when it was not listed.

local field = string.gsub(ARGV[1], '%*$', '')
local id = redis.call('HGET', KEYS[1], field)
if not id then return false end
redis.call('HDEL', KEYS[1], field)
redis.call('DECR', KEYS[2])
if redis.call('HINCRBY', KEYS[3], id, -1) <= 0 then redis.call('HDEL', KEYS[3], id) end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*', 'op', 'r', 'm', '', 'e', ARGV[1])
return id
