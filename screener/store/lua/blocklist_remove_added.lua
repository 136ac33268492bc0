-- Take off the list those of a chunk of entries that still carry one metadata record (the ones an import
-- added), and uncount them, atomically. An entry with any other record (listed before the import, or
-- changed since) stays.
--
-- KEYS[1]     the number of entries (bl:count)
-- KEYS[2]     the number of entries of each metadata record (bl:meta:count)
-- KEYS[3..]   where each entry is: its bucket, or the prefixes hash (bl:p) for a prefix
-- ARGV[1]     the metadata record's id
-- ARGV[2..]   each entry's digits, in the order of KEYS[3..]
--
-- Returns how many entries were removed.

local meta, removed = ARGV[1], 0
for i = 3, #KEYS do
  if redis.call('HGET', KEYS[i], ARGV[i - 1]) == meta then
    redis.call('HDEL', KEYS[i], ARGV[i - 1])
    removed = removed + 1
  end
end
if removed > 0 then
  redis.call('DECRBY', KEYS[1], removed)
  if redis.call('HINCRBY', KEYS[2], meta, -removed) <= 0 then redis.call('HDEL', KEYS[2], meta) end
end
return removed
