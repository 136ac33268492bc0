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
-- KEYS[9]  the calls the reconciliation job has yet to settle (calls:unsettled)
-- KEYS[10] the caller's calls under the old secret's hash (calls:by:<old hash>), during a change of the secret
-- KEYS[11] the hashes whose calls moved to another hash's index (calls:moved)
--
-- ARGV, in the groups CallPath.decide_and_log builds:
-- the lines
--   ARGV[1]   the lines version the decisions were made with
-- the call
--   ARGV[2]   the caller's digits, '' when the caller ID is not a number
--   ARGV[3]   when the call arrived (seconds since the epoch)
--   ARGV[4]   how long to keep the encrypted number (seconds)
--   ARGV[5]   the caller's encrypted number, '' when not a number
--   ARGV[6]   the caller's keyed hash, '' when not a number
--   ARGV[7]   the caller's number in full (E.164), '' when not a number
--   ARGV[8]   the CallSid
--   ARGV[9]   the line called
--   ARGV[10]  the caller's kind
--   ARGV[11]  the caller's number masked (or the kind when not a number)
-- the campaign
--   ARGV[12]  the window in seconds, '0' to count no campaign
--   ARGV[13]  how many distinct lines called within the window make a campaign
--   ARGV[14]  how many calls to one line within the window make a campaign
--   ARGV[15]  the key prefix (the window's keys depend on the match, so they are built here)
-- the change of SCREENER_SECRET_KEY
--   ARGV[16]  the caller's keyed hash under SCREENER_SECRET_KEY_OLD, '' when none is set or not a number:
--             the caller's calls and campaign window under it are merged into the current hash's
-- the candidates: a decision for each list outcome, in the order of screener.model.LIST_OUTCOMES
-- (1 allowlisted, 2 blocklisted, 3 screen-listed, 4 on no list), four values each:
--   ARGV[17..32]  action, rule, reason ('{entry}' stands for the entry), keep the full number ('1' or '')
-- the prefixes
--   ARGV[33..]  the caller's digit prefixes a prefix entry could match, shortest first (none when not a number)
--
-- Returns {'stale', current version} when the lines changed, else {status, outcome (1-4), entry as shown,
-- campaign identity}, status being 'dup' (this CallSid was logged before: nothing written), 'logged', or
-- 'campaign' (logged, and this call crossed a campaign threshold).

local expected_version = ARGV[1]
local digits, at, ttl, encrypted, caller_hash, full_number, sid, line, caller_kind, masked =
  ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local window, distinct_lines, calls_on_line, key_prefix = ARGV[12], ARGV[13], ARGV[14], ARGV[15]
local old_hash = ARGV[16]
local CANDIDATES, PREFIXES = 17, 33

local version = redis.call('GET', KEYS[1]) or '0'
if version ~= expected_version then return {'stale', version} end

local allowed, entry, meta = false, '', ''
if digits ~= '' then
  allowed = redis.call('SISMEMBER', KEYS[2], '+' .. digits) == 1
  local exact = redis.call('HGET', KEYS[3], digits)
  if exact then
    entry, meta = '+' .. digits, exact
  elseif #ARGV >= PREFIXES then
    local found = redis.call('HMGET', KEYS[4], unpack(ARGV, PREFIXES))
    for i = #found, 1, -1 do
      if found[i] then entry, meta = '+' .. ARGV[PREFIXES - 1 + i] .. '*', found[i]; break end
    end
  end
end
-- Screen-list entries have metadata ids that start with 's' (screener.model.SCREEN_META_PREFIX).
local pick = 4
if allowed then pick = 1 elseif entry ~= '' then
  if string.sub(meta, 1, 1) == 's' then pick = 3 else pick = 2 end
end
local c = CANDIDATES + (pick - 1) * 4
local action, rule, reason, keep_full = ARGV[c], ARGV[c + 1], ARGV[c + 2], ARGV[c + 3] == '1'

local identity = caller_hash
local is_prefix = string.sub(entry, -1) == '*'
if is_prefix then identity = 'p:' .. entry end
-- An exact entry is the caller's own number: in full only for a blocked caller, masked otherwise.
local shown = entry
if entry ~= '' and not is_prefix and not keep_full then shown = masked end
if redis.call('EXISTS', KEYS[5]) == 1 then return {'dup', pick, shown, identity} end
redis.call('HSET', KEYS[5], 'sid', sid, 'line', line, 'at', at, 'caller_kind', caller_kind,
  'action', action, 'rule', rule, 'reason', (string.gsub(reason, '{entry}', shown)),
  'entry', shown, 'caller', keep_full and full_number or '', 'caller_masked', masked,
  'caller_hash', caller_hash, 'degraded', '0', 'status', 'ringing')
redis.call('XADD', KEYS[6], '*', 'sid', sid)
redis.call('ZADD', KEYS[9], at, sid)
-- Once per caller after a change of the secret: its calls under the old hash join the current index
-- (the records keep the hash they were logged with; calls:moved leads a lookup by it here).
local moving = old_hash ~= '' and old_hash ~= caller_hash
if moving and redis.call('EXISTS', KEYS[10]) == 1 then
  redis.call('ZUNIONSTORE', KEYS[7], 2, KEYS[7], KEYS[10], 'AGGREGATE', 'MAX')
  redis.call('DEL', KEYS[10])
  redis.call('HSET', KEYS[11], old_hash, caller_hash)
end
if caller_hash ~= '' then redis.call('ZADD', KEYS[7], at, sid) end
if encrypted ~= '' and not keep_full then redis.call('SET', KEYS[8], encrypted, 'EX', ttl) end
if identity == '' or window == '0' then return {'logged', pick, shown, identity} end

-- The window key depends on the match found above, so it is built here (the store is not a cluster).
local now, seconds = tonumber(at), tonumber(window)
local wkey, fkey = key_prefix .. 'win:' .. identity, key_prefix .. 'campaign:' .. identity
if moving and identity == caller_hash then
  -- The caller's window under the old hash goes on counting under the new one, its alert flag too.
  local old_wkey, old_fkey = key_prefix .. 'win:' .. old_hash, key_prefix .. 'campaign:' .. old_hash
  if redis.call('EXISTS', old_wkey) == 1 then
    redis.call('ZUNIONSTORE', wkey, 2, wkey, old_wkey, 'AGGREGATE', 'MAX')
    redis.call('DEL', old_wkey)
  end
  if redis.call('EXISTS', old_fkey) == 1 then redis.call('RENAMENX', old_fkey, fkey) end
end
redis.call('ZADD', wkey, now, line .. '|' .. sid)
redis.call('ZREMRANGEBYSCORE', wkey, '-inf', now - seconds)
redis.call('ZREMRANGEBYRANK', wkey, 0, -1001)
redis.call('EXPIRE', wkey, seconds)
local seen, distinct, on_line = {}, 0, 0
for _, member in ipairs(redis.call('ZRANGE', wkey, 0, -1)) do
  local l = string.match(member, '^(.*)|')
  if not seen[l] then seen[l] = true; distinct = distinct + 1 end
  if l == line then on_line = on_line + 1 end
end
if distinct >= tonumber(distinct_lines) or on_line >= tonumber(calls_on_line) then
  if redis.call('SET', fkey, at, 'NX', 'EX', seconds) then return {'campaign', pick, shown, identity} end
end
return {'logged', pick, shown, identity}
