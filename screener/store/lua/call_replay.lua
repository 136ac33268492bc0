-- Write a call record that was decided while Redis could not take it (kept in a web process's spool,
-- screener/spool.py), once per CallSid. A callback that arrived before the replay may have started the
-- record (call_status.lua: action 'unknown'; a recording callback: no action at all): the decision is
-- filled in and the callback's status kept.
--
-- KEYS[1]  the call's record (call:<sid>)
-- KEYS[2]  the call stream (calls)
-- KEYS[3]  the calls the reconciliation job has yet to settle (calls:unsettled)
-- KEYS[4]  the caller's calls (calls:by:<caller hash>)
-- KEYS[5]  the call's encrypted number (call:<sid>:num)
--
-- ARGV[1]   the CallSid
-- ARGV[2]   the line called
-- ARGV[3]   when the call arrived (seconds since the epoch)
-- ARGV[4]   the caller's kind
-- ARGV[5]   the caller's number masked (or the kind when not a number)
-- ARGV[6]   the caller's keyed hash, '' when not a number
-- ARGV[7]   the caller's number in full, '' unless the caller was blocked
-- ARGV[8]   the caller's encrypted number, '' when kept in full or not a number
-- ARGV[9]   how long to keep the encrypted number (seconds)
-- ARGV[10]  the action decided
-- ARGV[11]  the rule that decided it
-- ARGV[12]  the reason, with the entry as shown
-- ARGV[13]  the matching entry as shown, '' for none
-- ARGV[14]  '1' when decided without the lists (degraded), else '0'
-- ARGV[15]  why the record was spooled: redis_unreachable, redis_full or unreplicated
--
-- Returns 0 when the call was logged before (nothing written), 1 when written, 2 when filled in.

local sid, line, at, kind, masked, hash, full = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local encrypted, ttl, action, rule, reason, entry = ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13]
local degraded, why = ARGV[14], ARGV[15]
local logged = redis.call('HGET', KEYS[1], 'action')
if logged and logged ~= 'unknown' then return 0 end
local started = redis.call('HEXISTS', KEYS[1], 'sid') == 1
redis.call('HSET', KEYS[1], 'sid', sid, 'line', line, 'at', at, 'caller_kind', kind, 'action', action,
  'rule', rule, 'reason', reason, 'entry', entry, 'caller', full, 'caller_masked', masked, 'caller_hash', hash,
  'degraded', degraded, 'spooled', why)
redis.call('HSETNX', KEYS[1], 'status', 'ringing')
if not started then
  redis.call('XADD', KEYS[2], '*', 'sid', sid)
  redis.call('ZADD', KEYS[3], at, sid)
end
if hash ~= '' then redis.call('ZADD', KEYS[4], at, sid) end
if encrypted ~= '' then redis.call('SET', KEYS[5], encrypted, 'EX', ttl) end
if logged or started then return 2 end
return 1
