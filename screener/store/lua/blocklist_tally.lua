-- How many entries of a slice of buckets use each metadata id. Read-only.
--
-- KEYS     none: a slice is too many buckets to pass, so their names are built here from the stem; the
--          blocklist lives in one Redis (Sentinel, not Cluster), so undeclared keys are safe
-- ARGV[1]  the buckets' name stem: a bucket's name is the stem and its number in hex
-- ARGV[2]  the first bucket's number
-- ARGV[3]  how many buckets to read
--
-- Returns {id, count, id, count, ...}.

local tally, b, stop = {}, tonumber(ARGV[2]), tonumber(ARGV[2]) + tonumber(ARGV[3])
while b < stop do
  local ids = redis.call('HVALS', ARGV[1] .. string.format('%x', b))
  for i = 1, #ids do tally[ids[i]] = (tally[ids[i]] or 0) + 1 end
  b = b + 1
end
local out = {}
for id, n in pairs(tally) do
  out[#out + 1] = id
  out[#out + 1] = n
end
return out
