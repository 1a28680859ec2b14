package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts. Each touches the keys of one nonce or of one
// conference (one Cluster slot), and runs atomically. They are sent with
// EVAL: Redis caches them by their hash, and nothing is lost when Redis
// restarts with an empty script cache.

// nonceClaim: KEYS = nonce; ARGV = token, lease ms. Returns 0 (new, now
// claimed, or already claimed by this token: the call re-sent by the
// client after a dropped connection), 1 (in progress) or 2 (done).
var nonceClaim = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v or v == 'p' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'p' .. ARGV[1], 'PX', ARGV[2])
  return 0
end
if v == 'd' then return 2 end
return 1`)

// nonceComplete: KEYS = nonce; ARGV = window ms. A nonce already done
// stays done with its window; anything else becomes done.
var nonceComplete = redis.NewScript(`
if redis.call('GET', KEYS[1]) == 'd' then return 0 end
redis.call('SET', KEYS[1], 'd', 'PX', ARGV[1])
return 1`)

// nonceRelease: KEYS = nonce; ARGV = token. Deletes the nonce only while
// this token's claim holds it.
var nonceRelease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == 'p' .. ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`)

// turnAcquire: KEYS = turn, record, marker; ARGV = token, lease ms.
// Returns {1, record or nil} when the turn is taken (or was already this
// token's: a re-sent call), {0, its remaining ms} when another holds it,
// {2} for a conference that ended and was dropped.
var turnAcquire = redis.NewScript(`
local rec = redis.call('GET', KEYS[2])
if not rec and redis.call('EXISTS', KEYS[3]) == 1 then return {2} end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2])
elseif not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0, redis.call('PTTL', KEYS[1])}
end
if rec then return {1, rec} end
return {1}`)

// turnCommit: KEYS = turn, record, marker; ARGV = token, record, record
// ttl ms, marker ttl ms (0: none), channel, changes (empty: none). Stores
// the record, announces the changes and gives the turn back, only if the
// turn is still this token's. Returns 1, or 0 when fenced off.
var turnCommit = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
if ARGV[4] ~= '0' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[4]) end
redis.call('DEL', KEYS[1])
if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
return 1`)

// turnRelease: KEYS = turn; ARGV = token. Gives the turn back if held.
var turnRelease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// turnRenew: KEYS = turn; ARGV = token, lease ms. Extends the lease if
// held; returns 0 when the turn was lost.
var turnRenew = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// dropEnded: KEYS = turn, record, marker; ARGV = token, lease ms, marker
// ttl ms. Evicts an ended conference to make room: takes its turn if free,
// deletes its record and leaves the marker. Returns 1 when dropped, 0 when
// busy, 2 when there was nothing to drop, 3 when the conference has not
// ended (a record without the marker, which only an ended commit sets):
// the index was wrong, and nothing is dropped.
var dropEnded = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 and redis.call('EXISTS', KEYS[3]) == 0 then return 3 end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local existed = redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
redis.call('DEL', KEYS[1])
if existed == 1 then return 1 end
return 2`)
