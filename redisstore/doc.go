// Package redisstore shares vobizhook's replay protection and conference
// tracking between replicas, on Redis (a single node, Sentinel or a
// Cluster: anything github.com/redis/go-redis/v9 calls a UniversalClient).
//
//	s := redisstore.New(rdb, redisstore.Options{Prefix: "vobizhook:"})
//	tracker := &track.Tracker{Store: s.Conferences(), OnIdleEnd: closeSession}
//	h := &vobizhook.Handler{Verifier: v, NonceStore: s.Nonces(), Tracker: tracker, OnStart: openSession, OnEnd: closeSession}
//
// With every replica configured so, a callback whose func succeeds is
// dispatched once whichever replica each of its deliveries reaches; one
// whose func fails is released, and its retry, on any replica, is
// dispatched; OnStart and OnEnd run once per conference and OnEnter and
// OnExit once per member change; the funcs of one conference never run at
// the same time on two replicas; the idle sweep may run on every replica
// and ends each idle conference once; every replica reads, and its
// subscribers receive, what all of them commit.
//
// It is its own module, so that importing vobizhook never pulls in a Redis
// client.
//
// # How
//
// A nonce is one key, "<prefix>n:<nonce>", holding the token of the claim
// in progress ("p<token>") or "d" once done, with the lease or the replay
// window as its TTL; each operation is one Lua script, so claims,
// completions and releases are compare-and-set.
//
// A conference is three keys that share a hash tag, so that every script
// touches one Cluster slot: "<prefix>c:{<uuid>}:r", the encoded
// track.Record; ":t", its turn (the holder's random token, with a lease,
// renewed while the holder runs its funcs); ":g", a marker that outlives
// the record of a conference that ended, so that a late retry does not
// start it again. Taking the turn and loading the record is one script;
// committing the record, announcing the changes on the pub/sub channel
// "<prefix>changes" and giving the turn back is another, which refuses a
// commit whose turn was taken over (fencing: a holder that stalled past its
// lease cannot overwrite its successor's work). Two sorted sets,
// "<prefix>live" and "<prefix>ended", index the conferences for the reads
// and the sweeps; they are written in the same pipelines as the commits and
// only hint: a record is the truth.
//
// A signed, tracked callback costs four round trips: the nonce claim, the
// turn and load (pipelined with the count that enforces MaxConferences),
// the commit and release (pipelined with the index update), the nonce
// completion. A Cluster splits a pipeline between its nodes, in parallel.
//
// # Bounded memory
//
// Every key has a TTL or a cap: nonces the lease or the replay window;
// live conferences MaxIdle (plus a grace for the sweep), ended ones
// Retention, their markers Retention plus Options.RememberEnded; the
// indexes are capped by MaxConferences and cleaned by the sweeps.
//
// # Faults
//
// Every Redis call has a deadline, Options.Timeout (500 ms by default, well
// under the 3 s Vobiz waits). Give the client ContextTimeoutEnabled: true,
// or go-redis bounds its calls by its own ReadTimeout and WriteTimeout
// instead (New logs a warning when it can tell). When Redis cannot answer,
// the Handler answers 503, so Vobiz retries; nothing is dispatched or
// marked. A replica that dies in the middle of a func leaves a claim and a
// turn that expire after their leases (the Handler's NonceLease, the
// Store's TurnLease); the retry is then dispatched on another replica: for
// that event, at least once, not exactly once. See the README, "Running
// several replicas", for what a Redis restarted empty loses.
package redisstore
