-- The id of a metadata record, creating the record the first time it is seen.
--
-- KEYS[1]  the metadata index: record text -> id (bl:meta:idx)
-- KEYS[2]  the metadata records: id -> record text (bl:meta)
-- KEYS[3]  the id sequence (bl:meta:seq)
-- ARGV[1]  the record's text (JSON)
-- ARGV[2]  what a new id starts with: 's' for a screen-list record, else ''
--
-- Returns the record's id.

local id = redis.call('HGET', KEYS[1], ARGV[1])
if id then return id end
id = ARGV[2] .. tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[1], ARGV[1], id)
redis.call('HSET', KEYS[2], id, ARGV[1])
return id
