-- Add a chunk of entries that share one metadata record, and count the new ones. HSETNX keeps an entry
-- that is listed already as it is. A chunk of 2000 holds Redis for about a millisecond (the same Redis
-- answers ringing phones).
--
-- KEYS[1]     the number of entries (bl:count)
-- KEYS[2]     the number of entries of each metadata record (bl:meta:count)
-- KEYS[3..]   where each entry goes: its bucket, or the prefixes hash (bl:p) for a prefix
-- ARGV[1]     the metadata record's id
-- ARGV[2..]   each entry's digits, in the order of KEYS[3..]
--
-- Returns how many entries were new.

local meta, added = ARGV[1], 0
for i = 3, #KEYS do added = added + redis.call('HSETNX', KEYS[i], ARGV[i - 1], meta) end
if added > 0 then
  redis.call('INCRBY', KEYS[1], added)
  redis.call('HINCRBY', KEYS[2], meta, added)
end
return added
