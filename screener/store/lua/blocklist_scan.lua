-- The blocklist entries in a slice of buckets that match a search (the web page's search). Stops after
-- the bucket that brings enough matches. Read-only.
--
-- KEYS     none: a slice is too many buckets to pass, so their names are built here from the stem; the
--          blocklist lives in one Redis (Sentinel, not Cluster), so undeclared keys are safe
-- ARGV[1]  the buckets' name stem: a bucket's name is the stem and its number in hex
-- ARGV[2]  the first bucket's number
-- ARGV[3]  how many buckets to read at most (the caller keeps the slice within the buckets there are)
-- ARGV[4]  digits to find anywhere in an entry, '' for every entry
-- ARGV[5]  the metadata ids to keep, comma-separated, '' for any
-- ARGV[6]  how many matches are wanted
--
-- Returns {the bucket to go on from, {digits, id, digits, id, ...}}.

local b, digits, wanted = tonumber(ARGV[2]), ARGV[4], 2 * tonumber(ARGV[6])
local stop = b + tonumber(ARGV[3])
local allowed = false
if ARGV[5] ~= '' then
  allowed = {}
  for id in string.gmatch(ARGV[5], '[^,]+') do allowed[id] = true end
end
local found = {}
while b < stop and #found < wanted do
  local flat = redis.call('HGETALL', ARGV[1] .. string.format('%x', b))
  for i = 1, #flat, 2 do
    if (not allowed or allowed[flat[i + 1]]) and (digits == '' or string.find(flat[i], digits, 1, true)) then
      found[#found + 1] = flat[i]
      found[#found + 1] = flat[i + 1]
    end
  end
  b = b + 1
end
return {b, found}
