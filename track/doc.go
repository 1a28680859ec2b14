// Package track keeps the state of Vobiz conferences from their callbacks,
// and makes the lifecycle funcs of a vobizhook.Handler fire exactly once.
//
// Set a [Tracker] on vobizhook.Handler.Tracker: the Handler passes it every
// enter, exit, start and end with its funcs, and the Tracker calls OnStart
// and OnEnd exactly once per conference, whether or not Vobiz sends start
// and end (today's Vobiz sends only enter and exit), and OnEnter and OnExit
// once per member change, never for duplicates. It also answers who is in
// which room now ([Tracker.Live], [Tracker.Conference]) and streams the
// changes ([Tracker.Subscribe]).
//
//	tracker := &track.Tracker{OnIdleEnd: closeSession}
//	h := &vobizhook.Handler{Verifier: v, Tracker: tracker, OnStart: openSession, OnEnd: closeSession}
//
// # Delivery
//
// Vobiz neither orders nor deduplicates deliveries, and retries failures. The
// Tracker is idempotent (a duplicate delivery changes nothing and calls
// nothing) and order-tolerant: an exit that arrives before its member's
// enter is remembered (a tombstone, kept as a past member), so the late
// enter fills in the member's numbers and join time without making it
// present again; an exit that arrives after the conference ended still
// closes its member's stay. Members are keyed by CallUUID + MemberID.
//
// # Lifecycle rule
//
// A ConferenceUUID names one session, which goes not started → live → ended
// and never back:
//
//  1. Start: the first event applied for a ConferenceUUID (enter, exit,
//     start or end) starts it. An exit or end arriving first proves the room
//     existed. OnStart runs before that event's own func.
//  2. End: a live conference ends at the first event that is
//     (a) the provider's end; or
//     (b) an exit reporting an empty room, ConferenceLastMember=true or,
//     when it carries no ConferenceLastMember, ConferenceCurrentSize=0;
//     unless the provider's own start has been seen for this conference (a
//     provider that sends start also sends end, which carries RecordingUrl,
//     so then only its end counts); or
//     (c) only for a conference none of whose events so far carried
//     ConferenceLastMember or ConferenceCurrentSize or was the provider's
//     start: an enter or exit after which the tracked roster is empty and
//     no applied exit is still waiting for its member's enter.
//     OnEnd runs after that event's own func (after OnStart too when one
//     event does both).
//  3. Once ended, always ended: later events for the ConferenceUUID still
//     update the record (late enters and exits, the provider's late start
//     or end, RecordingUrl) but never fire OnStart or OnEnd again. Members
//     present at the end are moved to Past with LeftAt = EndedAt until
//     their own exit arrives; no OnExit is made up for them.
//
// So each conference gets at most one start and at most one end, whatever
// arrives in whatever order, and exactly one of each once all its events
// have been delivered. Today's Vobiz marks every exit with
// ConferenceLastMember and older payloads carry ConferenceCurrentSize, so (b)
// decides on real traffic; (c) serves payloads with neither, where a
// shuffled delivery (A's exit before B's enter) can end the room early,
// still exactly once. A conference whose end signal never arrives is closed
// after MaxIdle (EndIdle), also with exactly one end (see below).
//
// # Callbacks and failures
//
// OnStart and OnEnd receive the triggering event: the provider's start or
// end itself, or else a copy of the enter, exit or end that triggered them
// with Action set to start or end (Params still holds the trigger's
// parameters, so Params.Get("ConferenceAction") tells a derived event from
// the provider's). Their Timestamp is set to the start or end time the
// tracker recorded. Inside any func, [FromContext] returns the conference
// as it will be once that step is committed.
//
// The steps of one event (start, the member's enter or exit, end) are
// committed together once their funcs returned nil; when a func fails or
// panics, the steps before it are committed and the Handler answers 500,
// so Vobiz's retry runs only the rest: a failed OnEnter is called again,
// the OnStart that preceded it is not. A conference is stored from its
// first commit: one whose OnStart keeps failing leaves nothing behind.
//
// # Idle conferences
//
// On today's traffic the end is decided by the exit that reports the room
// empty (rule 2b); if that one delivery is lost for good (Vobiz gave up
// retrying), no later event ends the conference. So a live conference with
// no event applied for MaxIdle is ended by the sweep ([Tracker.Sweep]),
// with EndReason EndIdle and EndedAt its last event's time, and the
// Tracker's OnIdleEnd runs then (never a Handler's funcs: a Tracker may
// serve several Handlers). That call runs outside any request, with the
// sweep's context, on the goroutine of Sweep (or on one of its own when the
// sweep was triggered by Apply, so that no request waits for another
// conference's end); its event names only the conference (ConferenceUUID,
// ConferenceName, Timestamp = EndedAt, Action end, no ConferenceAction in
// Params), and FromContext returns the final roster with EndReason
// EndIdle. A panic in it is contained. If it fails, the error is logged
// and the next sweep calls it again; the conference stays live meanwhile.
// The price is lateness: the end comes MaxIdle after the last event, 24
// hours by default. A conference cannot outlast the <Conference timeLimit>
// (14400 s by default), so a MaxIdle a little longer than the longest
// timeLimit you set ends such conferences sooner.
//
// # Concurrency
//
// Events of different conferences are applied in parallel; no global lock is
// held while funcs run. Events of one conference are applied one at a time,
// funcs included (its turn, held across replicas with a shared Store), so
// keep funcs fast (Vobiz waits 3 s) and do not call Apply for the same
// conference from inside them. Reads never wait for funcs, and commits
// never wait for reads.
//
// # Memory
//
// Ended conferences are kept for Retention, then dropped. A dropped
// conference is still remembered (see [MemoryStore]): a late or retried
// event for it is acknowledged and ignored (Apply returns no change, the
// Handler calls no func and answers 200) instead of starting the conference
// again. At most MaxConferences are tracked: to admit a new one the memory
// store evicts the conference that ended longest ago; if none has ended it
// refuses the event with [ErrTrackerFull] (503 from a Handler, so Vobiz
// retries) rather than forget a live conference, which would break the
// exactly-once guarantee. Each conference keeps at most MaxMembers member
// records; the oldest past members and tombstones go first (their keys are
// remembered, so their retries are not applied again), and an enter beyond
// MaxMembers present members is refused with ErrTrackerFull.
//
// The caps bound memory by records: at most MaxConferences x MaxMembers
// member records, a few hundred bytes each with Vobiz's IDs (see
// BENCHMARKS.md); Apply refuses fields a Handler would not accept
// ([ErrUntrackable]), so the bytes are bounded too. Size the caps to your
// traffic.
//
// # Untrusted traffic
//
// Whoever can reach the callback URL can make the tracker track
// conferences. Without signature verification, a few thousand requests
// inventing live conferences fill MaxConferences, and every real
// conference is then refused (503) until MaxIdle ends the fake ones: 24
// hours by default. In production, put the Tracker behind a Handler with a
// Verifier, so that only Vobiz's callbacks reach it; feed Apply only with
// events you trust.
//
// # Several replicas
//
// [Store] is the seam: a [MemoryStore] by default, redisstore's to share
// one state between replicas, with a per-conference turn that has a lease
// and fencing, so that all the above holds across processes.
package track
