// The page in a real browser: headless Chromium (Debian's chromium),
// driven with chromedp, reads the dashboard a test server serves while the
// test posts signed callbacks to its Handler, and the assertions read the
// DOM a person would see. Chromium is started with its background
// networking off, on a fresh profile, and every wait has a deadline.
//
// Screenshots go to the test's temp dir; VOBIZHOOK_SCREENSHOT=path (laptop,
// 1280 px wide) and VOBIZHOOK_SCREENSHOT_PHONE=path (390 px) also write
// them where asked, relative to this directory:
//
//	VOBIZHOOK_SCREENSHOT=screenshot.png go test -run TestDashboardInBrowser .

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

const (
	laptopWidth, laptopHeight = 1280, 800
	phoneWidth, phoneHeight   = 390, 844
	waitLimit                 = 15 * time.Second // for any one thing to show on the page
)

// chromiumPath finds Chromium; without it the test skips, or fails in CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "chromium is not installed; install it with: apt-get install -y chromium"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts headless Chromium with a window of width x height on a
// fresh profile and returns the context of its first tab. It is stopped
// when the test ends, which fails if the page threw an uncaught exception.
func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	var mu sync.Mutex
	var thrown []string
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		if ex, ok := ev.(*runtime.EventExceptionThrown); ok && ex.ExceptionDetails != nil {
			d := ex.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			mu.Lock()
			thrown = append(thrown, fmt.Sprintf("line %d: %s", d.LineNumber+1, msg))
			mu.Unlock()
		}
	}))
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		assert.Empty(t, thrown, "uncaught exceptions in the page")
	})
	t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		if err := chromedp.Cancel(stopCtx); err != nil {
			t.Logf("stopping chromium: %v", err)
		}
		cancel()
		cancelAlloc() // waits for the process, before TempDir removes its profile
	})
	// The first action starts the browser, which lives as long as ctx: it
	// cannot run under a timeout context, so a watchdog bounds it.
	watchdog := time.AfterFunc(time.Minute, cancel)
	err := chromedp.Do(ctx)
	if !watchdog.Stop() {
		t.Fatal("chromium did not start within a minute")
	}
	require.NoError(t, err, "starting chromium")
	return ctx
}

// page is a browser tab on a running dashboard.
type page struct {
	t   *testing.T
	ctx context.Context // the tab
}

// do runs actions in the tab, with a deadline.
func (p page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	require.NoError(p.t, chromedp.Do(ctx, actions...))
}

// eval returns the value of a JavaScript expression in the page.
func eval[T any](p page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(p.t, err, "evaluating %s", expr)
	return v
}

// waitFor waits until the JavaScript expression cond is true, and fails the
// test with the page's visible text when it never becomes so.
func (p page) waitFor(what, cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(waitLimit)))
	if err != nil {
		textCtx, stop := context.WithTimeout(p.ctx, 5*time.Second)
		defer stop()
		text, _ := chromedp.Run(textCtx, chromedp.Evaluate[string](`document.body.innerText`))
		p.t.Fatalf("waiting for %s (%s): %v\nthe page shows:\n%s", what, cond, err, text)
	}
}

// screenshot saves a full-page PNG in the test's temp dir, and at the path
// in env when set.
func (p page) screenshot(name, env string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(p.t, err)
	path := filepath.Join(p.t.TempDir(), name)
	require.NoError(p.t, os.WriteFile(path, png, 0o644))
	p.t.Logf("screenshot: %s", path)
	if dest := os.Getenv(env); dest != "" {
		require.NoError(p.t, os.WriteFile(dest, png, 0o644))
		p.t.Logf("screenshot: %s", dest)
	}
}

// dashboard is a running dashboard with a signing Handler, and a client
// posting callbacks to it as Vobiz would.
type dashboard struct {
	t       *testing.T
	url     string // of the page
	tracker *track.Tracker
	logs    *logSink // the Handler's warnings: refused callbacks
}

const (
	testToken  = "dashboard-test-token"
	testPublic = "https://dash.example/vobiz/conference" // the callbackUrl the requests are signed for
)

func startDashboard(t *testing.T) *dashboard {
	t.Helper()
	d := &dashboard{t: t, tracker: &track.Tracker{}, logs: &logSink{}}
	handler := newHandler(d.tracker, slog.New(d.logs), testToken, testPublic)
	srv := newServer(d.tracker, handler, "/vobiz/conference")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, srv.Shutdown(ctx))
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
	})
	d.url = "http://" + ln.Addr().String() + "/"
	return d
}

// open loads the page in the browser and waits for its first snapshot.
func (d *dashboard) open(ctx context.Context) page {
	p := page{t: d.t, ctx: ctx}
	p.do(chromedp.Navigate(d.url))
	p.waitFor("the event stream", `document.getElementById("status").className === "up"`)
	return p
}

// send posts ev to the Handler, signed for the public callback URL, and
// requires it accepted.
func (d *dashboard) send(ev vobizhook.ConferenceEvent) {
	d.t.Helper()
	r, err := vobizhooktest.NewRequest(ev, vobizhooktest.WithURL(testPublic), vobizhooktest.WithAuthToken(testToken))
	require.NoError(d.t, err)
	req, err := vobizhooktest.ClientRequest(r)
	require.NoError(d.t, err)
	target, err := url.Parse(d.url + "vobiz/conference")
	require.NoError(d.t, err)
	req.URL, req.Host = target, target.Host
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	require.NoError(d.t, err)
	resp.Body.Close()
	require.Equal(d.t, http.StatusOK, resp.StatusCode, "%s of %s", ev.Action, ev.CallUUID)
}

// caller is one participant of a test conference.
type caller struct {
	call, member, from, to, direction string
}

// enter and exit build live-style callbacks (as Vobiz sends today) with a
// Timestamp, so the page shows stays of minutes.
func enter(uuid, room string, c caller, at time.Time, first bool) vobizhook.ConferenceEvent {
	return vobizhook.ConferenceEvent{
		Action: vobizhook.ActionEnter, Event: "ConferenceEnter", ConferenceUUID: uuid, ConferenceName: room,
		CallUUID: c.call, MemberID: c.member, From: c.from, To: c.to, Direction: c.direction,
		CallStatus: "in-progress", FirstMember: first, CurrentSize: -1, Timestamp: at,
	}
}

func exit(uuid, room string, c caller, at time.Time, last bool) vobizhook.ConferenceEvent {
	return vobizhook.ConferenceEvent{
		Action: vobizhook.ActionExit, Event: "ConferenceExit", ConferenceUUID: uuid, ConferenceName: room,
		CallUUID: c.call, MemberID: c.member, LastMember: last, CurrentSize: -1, Timestamp: at,
	}
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func countIs(uuid string, n int) string {
	return fmt.Sprintf(`document.querySelector('[data-room=%s] .count')?.textContent === "%d"`, js(uuid), n)
}

func statIs(id, want string) string {
	return fmt.Sprintf(`document.getElementById(%s).textContent === %s`, js(id), js(want))
}

func orderIs(uuids ...string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#rooms [data-room]")].map(e => e.dataset.room).join(",") === %s`, js(strings.Join(uuids, ",")))
}

func feedHas(text string) string {
	// The icons between words leave two spaces in innerText.
	return fmt.Sprintf(`document.getElementById("feed").innerText.replace(/\s+/g, " ").includes(%s)`, js(text))
}

// A conference fed through the Handler shows up on the page as a person
// would read it: the room, its members' numbers, its count going up and
// down, the header's figures, the ended room below the live ones, the feed.
func TestDashboardInBrowser(t *testing.T) {
	browser := newBrowser(t, laptopWidth, laptopHeight)
	d := startDashboard(t)
	p := d.open(browser)
	p.do(chromedp.EmulateViewport(laptopWidth, laptopHeight))
	p.waitFor("the empty state", `document.getElementById("rooms").innerText.includes("No conferences yet")`)

	now := time.Now().Truncate(time.Second)
	ago := func(min int) time.Time { return now.Add(-time.Duration(min) * time.Minute) }
	const standup, sales, support = "8d5c3e34-5bde-4f0e-9d1a-1c6f5c8e2a01", "2f9b7a10-7c4d-4a7e-8b3f-6e2d9c1b4a02", "c0a8e7d2-1b3f-4c5a-9e8d-7f6a5b4c3d03"
	ana := caller{"a7f3c2e1-0b9d-4e8f-a6c5-1d2e3f4a5b61", "249", "918071387423", "918033001122", "inbound"}
	ben := caller{"b8e4d3f2-1c0e-4f9a-b7d6-2e3f4a5b6c72", "250", "918033001122", "919624705678", "outbound"}

	d.send(enter(standup, "standup", ana, ago(14), true))
	p.waitFor("the room with one member", countIs(standup, 1))
	card := fmt.Sprintf(`document.querySelector('[data-room=%s]')`, js(standup))
	assert.Equal(t, "standup", eval[string](p, card+`.querySelector(".name").textContent`))
	assert.Equal(t, "+91 80713 87423", eval[string](p, card+`.querySelector(".members .who").textContent`), "the caller's number, formatted")
	p.waitFor("one live room", statIs("stat-live", "1"))
	p.waitFor("one person in calls", statIs("stat-people", "1"))

	// IDs are on hover and in the details, not in the card's text.
	visible := eval[string](p, card+`.innerText`)
	assert.NotContains(t, visible, standup)
	assert.NotContains(t, visible, ana.call)
	assert.Contains(t, eval[string](p, card+`.querySelector(".members li").title`), "Member ID 249")
	assert.Contains(t, eval[string](p, card+`.querySelector(".name").title`), standup)
	summary := chromedp.CSS(fmt.Sprintf(`[data-room=%s] summary`, js(standup)))
	p.do(chromedp.Click(summary))
	p.waitFor("the details with the IDs", fmt.Sprintf(`%s.innerText.includes(%s) && %s.innerText.includes(%s)`, card, js(standup), card, js(ana.call)))

	d.send(enter(standup, "standup", ben, ago(12), false))
	p.waitFor("the second member", countIs(standup, 2))
	p.waitFor("two people in calls", statIs("stat-people", "2"))
	assert.Equal(t, []string{"+91 80713 87423", "+91 96247 05678"},
		eval[[]string](p, `[...`+card+`.querySelectorAll(".members .who")].map(e => e.textContent)`),
		"an outbound member is shown by the number dialled")
	p.waitFor("the details still open, with the new member", fmt.Sprintf(`%s.innerText.includes(%s)`, card, js(ben.call)))
	assert.Equal(t, []string{"inbound", "outbound"},
		eval[[]string](p, `[...`+card+`.querySelectorAll(".members .dir")].map(e => e.getAttribute("aria-label"))`))
	p.do(chromedp.Click(summary))
	p.waitFor("the details folded", fmt.Sprintf(`!%s.innerText.includes(%s)`, card, js(ana.call)))

	// A second room, newer: it comes first while both are live.
	carla := caller{"c9f5e4a3-2d1f-4a0b-c8e7-3f4a5b6c7d83", "251", "14155550100", "918033001122", "inbound"}
	dev := caller{"d0a6f5b4-3e2a-4b1c-d9f8-4a5b6c7d8e94", "252", "919845012345", "918033001122", "inbound"}
	d.send(enter(sales, "sales", carla, ago(9), true))
	d.send(enter(sales, "sales", dev, ago(8), false))
	p.waitFor("the second room", countIs(sales, 2))
	p.waitFor("two live rooms", statIs("stat-live", "2"))
	p.waitFor("four people in calls", statIs("stat-people", "4"))
	p.waitFor("live rooms newest first", orderIs(sales, standup))

	// A third, busier one, newer still.
	for i, c := range []caller{
		{"e1b7a6c5-4f3b-4c2d-e0a9-5b6c7d8e9fa5", "301", "917012345678", "918033001122", "inbound"},
		{"f2c8b7d6-5a4c-4d3e-f1b0-6c7d8e9fa0b6", "302", "918033001122", "447700900123", "outbound"},
		{"a3d9c8e7-6b5d-4e4f-a2c1-7d8e9fa0b1c7", "303", "919900112233", "918033001122", "inbound"},
	} {
		d.send(enter(support, "support", c, ago(6-i), i == 0))
	}
	p.waitFor("the third room", countIs(support, 3))
	p.waitFor("three live rooms", statIs("stat-live", "3"))
	p.waitFor("seven people in calls", statIs("stat-people", "7"))
	p.waitFor("live rooms newest first", orderIs(support, sales, standup))

	d.send(exit(standup, "standup", ana, ago(3), false))
	p.waitFor("the count back down after an exit", countIs(standup, 1))
	p.waitFor("six people in calls", statIs("stat-people", "6"))
	p.waitFor("no room ended yet", statIs("stat-ended", "0"))

	d.send(exit(sales, "sales", carla, ago(2), false))
	d.send(exit(sales, "sales", dev, ago(1), true))
	p.waitFor("the sales room ended", fmt.Sprintf(`document.querySelector('[data-room=%s]')?.dataset.state === "ended"`, js(sales)))
	p.waitFor("two live rooms left", statIs("stat-live", "2"))
	p.waitFor("one room ended in the last hour", statIs("stat-ended", "1"))
	p.waitFor("four people in calls", statIs("stat-people", "4"))
	p.waitFor("the ended room below the live ones", orderIs(support, standup, sales))
	// Stays: ana 11 min, carla 7 min, dev 7 min.
	p.waitFor("the median stay", statIs("stat-stay", "7 min"))
	assert.Empty(t, d.logs.lines(), "no callback refused")

	for _, s := range []string{"standup started", "standup: +91 80713 87423 joined · 1 in call", "standup: +91 80713 87423 left after 11 min · 1 in call",
		"sales: +1 415 555 0100 joined", "sales ended after 8 min, last member left", "support: +44 770 090 0123 joined · 2 in call"} {
		p.waitFor("the feed's "+s, feedHas(s))
	}

	// The filter narrows the rooms by name, and by number in any format.
	for _, c := range []struct {
		query string
		rooms []string
	}{
		{"sales", []string{sales}},
		{"SALES", []string{sales}},
		{"+91 96247", []string{standup}}, // ben's number, as the page writes it
		{"8071387", []string{standup}},   // ana's, in part
		{"sales 9624", nil},              // letters: no match by digits
		{ana.member, []string{standup}},  // a member ID
		{sales[:8], []string{sales}},     // a conference UUID, in part
		{"nobody", nil},
		{" ", []string{support, standup, sales}},
	} {
		eval[bool](p, `(document.getElementById("filter").value = "", true)`)
		p.do(chromedp.SendKeys(chromedp.CSS("#filter"), c.query))
		p.waitFor(fmt.Sprintf("the rooms matching %q", c.query), orderIs(c.rooms...))
		if c.rooms == nil {
			p.waitFor("the message for no match", `document.getElementById("rooms").innerText.includes("No room matches the filter.")`)
		}
	}
	eval[bool](p, `(f => (f.value = "", f.dispatchEvent(new Event("input")), true))(document.getElementById("filter"))`)
	p.do(chromedp.Click(chromedp.CSS(`[data-show="ended"]`)))
	p.waitFor("only the ended room", orderIs(sales))
	p.do(chromedp.Click(chromedp.CSS(`[data-show="live"]`)))
	p.waitFor("only the live rooms", orderIs(support, standup))
	p.do(chromedp.Click(chromedp.CSS(`[data-show="all"]`)))
	p.waitFor("every room again", orderIs(support, standup, sales))

	// Laptop: the feed is in view beside the rooms; nothing overflows.
	p.waitFor("the highlight of changed rooms to end", `document.getAnimations().length === 0`)
	p.waitFor("the feed in view", `document.querySelector("aside").getBoundingClientRect().bottom <= innerHeight`)
	p.waitFor("no horizontal scrolling", `document.documentElement.scrollWidth <= innerWidth`)
	assert.True(t, eval[bool](p, `performance.getEntriesByType("resource").every(e => e.name.startsWith(location.origin + "/"))`),
		"the page loaded something from elsewhere")
	p.screenshot("dashboard.png", "VOBIZHOOK_SCREENSHOT")

	// Phone: the feed comes before the cards, still without scrolling.
	p.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	p.waitFor("the phone layout", `innerWidth === 390`)
	p.waitFor("the feed in view", `document.getElementById("feed").getBoundingClientRect().top < innerHeight / 2`)
	p.waitFor("the feed above the rooms", `document.getElementById("feed").getBoundingClientRect().bottom < document.getElementById("rooms").getBoundingClientRect().top`)
	p.waitFor("no horizontal scrolling", `document.documentElement.scrollWidth <= innerWidth`)
	p.screenshot("dashboard-phone.png", "VOBIZHOOK_SCREENSHOT_PHONE")
}

// The page's formatting of numbers and durations, for every kind of input
// a callback can carry, garbage included.
func TestPageFormatting(t *testing.T) {
	browser := newBrowser(t, laptopWidth, laptopHeight)
	p := startDashboard(t).open(browser)

	numbers := []struct {
		in   any
		want string
	}{
		{"918071387423", "+91 80713 87423"}, // India, as Vobiz sends it
		{"+918071387423", "+91 80713 87423"},
		{"91 80713-87423", "+91 80713 87423"},
		{"14155550100", "+1 415 555 0100"},   // one-digit country code
		{"447700900123", "+44 770 090 0123"}, // two digits
		{"971501234567", "+971 50 123 4567"}, // three digits
		{"6591234567", "+65 9123 4567"},
		{"08071387423", "0807 138 7423"}, // national: no country code to show
		{"1234", "1234"},                 // a short code
		{"12345", "1 2345"},
		{"1234567890123456", "123 456 789 012 3456"}, // longer than E.164
		{"sip:alice@example.com", "sip:alice@example.com"},
		{"anonymous", "anonymous"},
		{"+", "+"},
		{"", ""},
		{"   ", ""},
		{nil, ""},
		{918071387423, "+91 80713 87423"}, // a number, not a string
		{strings.Repeat("x", 60), strings.Repeat("x", 39) + "…"},
		{"<b>1</b>", "<b>1</b>"},
	}
	for _, c := range numbers {
		in, err := json.Marshal(c.in)
		require.NoError(t, err)
		assert.Equal(t, c.want, eval[string](p, "formatNumber("+string(in)+")"), "formatNumber(%s)", in)
	}

	durations := []struct {
		in   string // milliseconds, as a JavaScript expression
		want string
	}{
		{"0", "0 s"},
		{"59999", "59 s"},
		{"60000", "1 min"},
		{"3599999", "59 min"},
		{"3600000", "1 h"},
		{"3900000", "1 h 5 min"},
		{"47 * 3600000", "47 h"},
		{"48 * 3600000", "2 d"},
		{"50 * 3600000", "2 d 2 h"},
		{"-5000", "0 s"},
		{"NaN", "0 s"},
		{`"garbage"`, "0 s"},
	}
	for _, c := range durations {
		assert.Equal(t, c.want, eval[string](p, "formatDuration("+c.in+")"), "formatDuration(%s)", c.in)
	}
	agos := []struct {
		in   string // milliseconds before now
		want string
	}{
		{"0", "just now"},
		{"9999", "just now"},
		{"-60000", "just now"}, // ahead of the browser's clock
		{"10000", "10 s ago"},
		{"180000", "3 min ago"},
	}
	for _, c := range agos {
		assert.Equal(t, c.want, eval[string](p, "formatAgo(1e12 - ("+c.in+"), 1e12)"), "formatAgo(now - %s)", c.in)
	}
}
