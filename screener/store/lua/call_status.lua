-- Apply a call's status callback once. A callback for a call with no record (the store was unreachable
-- when the call arrived) starts one.
--
-- KEYS[1]  the call's record (call:<sid>)
-- KEYS[2]  the call stream (calls)
-- KEYS[3]  the calls the reconciliation job has yet to settle (calls:unsettled)
-- ARGV[1]  the status Twilio reported
-- ARGV[2]  the call's duration in seconds, '' for none
-- ARGV[3]  when (seconds since the epoch)
-- ARGV[4]  the CallSid
--
-- Returns 1 when the callback was applied (or arrived after an ending), 0 for a repeat.

local created = redis.call('EXISTS', KEYS[1]) == 0
if redis.call('HSETNX', KEYS[1], 'st:' .. ARGV[1], ARGV[3]) == 0 then return 0 end
local terminal = {completed = true, busy = true, failed = true, ['no-answer'] = true, canceled = true}
local current = redis.call('HGET', KEYS[1], 'status')
-- A late 'ringing' or 'in-progress' must not undo an ending (the sealed record depends on it).
if current and terminal[current] and not terminal[ARGV[1]] then return 1 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[3])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'duration', ARGV[2]) end
if created then
  redis.call('HSET', KEYS[1], 'sid', ARGV[4], 'at', ARGV[3], 'action', 'unknown',
             'reason', 'no decision logged (store was unreachable when the call arrived)')
  redis.call('XADD', KEYS[2], '*', 'sid', ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
end
return 1
