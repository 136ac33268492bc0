-- Use up a TOTP time step for an account, atomically: of several sign-ins that carry the same code at
-- the same moment exactly one gets the step; a code of an earlier step is refused once a later one was used.
--
-- KEYS[1]  the account's last used step (totp:last:<name>)
-- ARGV[1]  the step the code belongs to (seconds since the epoch // 30)
-- ARGV[2]  seconds to keep the record (a few steps: longer than the codes it could be replayed with)
--
-- Returns 1 when the step was free and is now used, 0 for a replay.

local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
local step = tonumber(ARGV[1])
if step <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
