-- The webhook's round trip (screener/store/call_path.py): find which list outcome holds for the caller,
-- record the call with the pre-made decision for that outcome, and count it in its campaign window.
--
-- KEYS[1]  the lines version (lines:v)
-- KEYS[2]  the called line's allowlist (al:<line>)
-- KEYS[3]  the blocklist bucket that would hold the caller's number
-- KEYS[4]  the blocklist's prefixes (bl:p)
-- KEYS[5]  the call's record (call:<sid>)
-- KEYS[6]  the call stream (calls)
-- KEYS[7]  the caller's calls (calls:by:<caller hash>)
-- KEYS[8]  the call's encrypted number (call:<sid>:num)
--
-- ARGV[1]  the lines version the decisions were made with
-- ARGV[2]  the caller's digits, '' when the caller ID is not a number
-- ARGV[3]  n, how many prefixes follow
-- then n prefixes (the caller's digit prefixes, shortest first), then from b = 4 + n: when the call arrived,
-- how long to keep the encrypted number, the encrypted number, the caller's keyed hash, the full number,
-- the CallSid, the line, the caller's kind, the masked number, the campaign window (seconds, '0' = off),
-- the distinct-lines threshold, the calls-on-one-line threshold, the key prefix, then a decision for each
-- of the 4 list outcomes of screener.model.LIST_OUTCOMES: action, rule, reason ('{entry}' stands for the
-- entry), keep the full number ('1' or '').
--
-- Returns {'stale', current version} when the lines changed, else {status, outcome (1-4), entry as shown,
-- campaign identity}, status being 'dup' (this CallSid was logged before: nothing written), 'logged', or
-- 'campaign' (logged, and this call crossed a campaign threshold).

local version = redis.call('GET', KEYS[1]) or '0'
if version ~= ARGV[1] then return {'stale', version} end
local digits, n = ARGV[2], tonumber(ARGV[3])
local b = 4 + n
local allowed, entry, meta = false, '', ''
if digits ~= '' then
  allowed = redis.call('SISMEMBER', KEYS[2], '+' .. digits) == 1
  local exact = redis.call('HGET', KEYS[3], digits)
  if exact then
    entry, meta = '+' .. digits, exact
  elseif n > 0 then
    local found = redis.call('HMGET', KEYS[4], unpack(ARGV, 4, 3 + n))
    for i = n, 1, -1 do
      if found[i] then entry, meta = '+' .. ARGV[3 + i] .. '*', found[i]; break end
    end
  end
end
local pick = 4
if allowed then pick = 1 elseif entry ~= '' then
  if string.sub(meta, 1, 1) == 's' then pick = 3 else pick = 2 end
end
local identity = ARGV[b + 3]
local is_prefix = string.sub(entry, -1) == '*'
if is_prefix then identity = 'p:' .. entry end
local c = b + 13 + (pick - 1) * 4
local keep_full = ARGV[c + 3] == '1'
-- An exact entry is the caller's own number: in full only for a blocked caller, masked otherwise.
local shown = entry
if entry ~= '' and not is_prefix and not keep_full then shown = ARGV[b + 8] end
if redis.call('EXISTS', KEYS[5]) == 1 then return {'dup', pick, shown, identity} end
local at, sid, line = ARGV[b], ARGV[b + 5], ARGV[b + 6]
redis.call('HSET', KEYS[5], 'sid', sid, 'line', line, 'at', at, 'caller_kind', ARGV[b + 7],
  'action', ARGV[c], 'rule', ARGV[c + 1], 'reason', (string.gsub(ARGV[c + 2], '{entry}', shown)),
  'entry', shown, 'caller', keep_full and ARGV[b + 4] or '', 'caller_masked', ARGV[b + 8],
  'caller_hash', ARGV[b + 3], 'degraded', '0', 'status', 'ringing')
redis.call('XADD', KEYS[6], '*', 'sid', sid)
if ARGV[b + 3] ~= '' then redis.call('ZADD', KEYS[7], at, sid) end
if ARGV[b + 2] ~= '' and not keep_full then redis.call('SET', KEYS[8], ARGV[b + 2], 'EX', ARGV[b + 1]) end
if identity == '' or ARGV[b + 9] == '0' then return {'logged', pick, shown, identity} end
-- The window key depends on the match found above, so it is built here (the store is not a cluster).
local now, window = tonumber(at), tonumber(ARGV[b + 9])
local wkey, fkey = ARGV[b + 12] .. 'win:' .. identity, ARGV[b + 12] .. 'campaign:' .. identity
redis.call('ZADD', wkey, now, line .. '|' .. sid)
redis.call('ZREMRANGEBYSCORE', wkey, '-inf', now - window)
redis.call('ZREMRANGEBYRANK', wkey, 0, -1001)
redis.call('EXPIRE', wkey, window)
local seen, distinct, on_line = {}, 0, 0
for _, member in ipairs(redis.call('ZRANGE', wkey, 0, -1)) do
  local l = string.match(member, '^(.*)|')
  if not seen[l] then seen[l] = true; distinct = distinct + 1 end
  if l == line then on_line = on_line + 1 end
end
if distinct >= tonumber(ARGV[b + 10]) or on_line >= tonumber(ARGV[b + 11]) then
  if redis.call('SET', fkey, at, 'NX', 'EX', window) then return {'campaign', pick, shown, identity} end
end
return {'logged', pick, shown, identity}
