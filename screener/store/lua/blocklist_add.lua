-- Add a chunk of entries that share one metadata record, and count the new ones. HSETNX keeps an entry
-- that is listed already as it is. A chunk of 2000 holds Redis for about a millisecond (the same Redis
-- answers ringing phones). The new entries go on the change stream in one stream entry, which the web
-- processes' local copies of the list read (store/list_copy.py).
--
-- KEYS[1]     the number of entries (bl:count)
-- KEYS[2]     the number of entries of each metadata record (bl:meta:count)
-- KEYS[3]     the change stream (bl:changes)
-- KEYS[4]     the prefixes hash (bl:p)
-- KEYS[5..]   where each entry goes: its bucket, or the prefixes hash (bl:p) for a prefix
-- ARGV[1]     the metadata record's id
-- ARGV[2]     how many change stream entries to keep (about)
-- ARGV[3..]   each entry's digits, in the order of KEYS[5..]
--
-- Returns how many entries were new.

local meta, added, new = ARGV[1], 0, {}
for i = 5, #KEYS do
  local digits = ARGV[i - 2]
  if redis.call('HSETNX', KEYS[i], digits, meta) == 1 then
    added = added + 1
    new[added] = KEYS[i] == KEYS[4] and digits .. '*' or digits
  end
end
if added > 0 then
  redis.call('INCRBY', KEYS[1], added)
  redis.call('HINCRBY', KEYS[2], meta, added)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'op', 'a', 'm', meta, 'e', table.concat(new, ','))
end
return added
