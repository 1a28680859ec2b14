package otelvobizhook_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/otelvobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// TestPrometheusScrape wires the exporter as Example_prometheus does (on a
// registry of its own), serves callbacks on a real server and scrapes
// /metrics: the names and labels a Prometheus user queries.
func TestPrometheusScrape(t *testing.T) {
	reg := promclient.NewRegistry()
	exporter, err := prometheus.New(prometheus.WithRegisterer(reg))
	require.NoError(t, err)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	t.Cleanup(func() { assert.NoError(t, mp.Shutdown(t.Context())) })
	onOutcome, err := otelvobizhook.New(otelvobizhook.WithMeterProvider(mp))
	require.NoError(t, err)

	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	callbackURL := srv.URL + "/conference-events"
	mux.Handle("/conference-events", &vobizhook.Handler{
		Verifier:  &vobizhook.Verifier{AuthTokens: []string{testToken}, CallbackURL: callbackURL},
		OnEnter:   ok,
		OnOutcome: onOutcome,
		Logger:    slog.New(slog.DiscardHandler),
	})
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	client := &http.Client{Timeout: 5 * time.Second}
	for _, token := range []string{testToken, testToken, "forged"} {
		r := vobizhooktest.MustResign(t, parse(t, "enter-live.http"), callbackURL, token)
		resp, err := client.Do(vobizhooktest.MustClientRequest(t, r))
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	resp, err := client.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	// The exporter's otel_scope_* labels are left out of the comparison.
	scope := regexp.MustCompile(`otel_scope_[a-z_]+="[^"]*",?`)
	bucket := regexp.MustCompile(`^vobizhook_callback_duration_seconds_bucket\{.*outcome="refused",le="([^"]+)"\}`)
	lines := map[string]bool{}
	les := map[string]bool{}
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "vobizhook_") || strings.HasPrefix(l, "# TYPE vobizhook_") {
			lines[scope.ReplaceAllString(l, "")] = true
		}
		if m := bucket.FindStringSubmatch(l); m != nil {
			les[m[1]] = true
		}
	}
	for _, want := range []string{
		`# TYPE vobizhook_callbacks_total counter`,
		`vobizhook_callbacks_total{http_response_status_code="200",vobizhook_action="enter",vobizhook_outcome="handled"} 2`,
		`vobizhook_callbacks_total{http_response_status_code="403",vobizhook_action="",vobizhook_outcome="refused"} 1`,
		`# TYPE vobizhook_callback_duration_seconds histogram`,
		`vobizhook_callback_duration_seconds_count{http_response_status_code="200",vobizhook_action="enter",vobizhook_outcome="handled"} 2`,
		`vobizhook_callback_duration_seconds_bucket{http_response_status_code="200",vobizhook_action="enter",vobizhook_outcome="handled",le="+Inf"} 2`,
		`vobizhook_callback_duration_seconds_count{http_response_status_code="403",vobizhook_action="",vobizhook_outcome="refused"} 1`,
	} {
		assert.True(t, lines[want], "/metrics lacks %s; got\n%s", want, body)
	}
	wantLes := map[string]bool{"+Inf": true}
	for _, b := range otelvobizhook.DurationBoundaries() {
		wantLes[strconv.FormatFloat(b, 'g', -1, 64)] = true
	}
	assert.Equal(t, wantLes, les, "the histogram's buckets")
}

// TestReadmeSnippet: the README's Prometheus snippet is the body of
// Example_prometheus, which compiles. Until the README has the section,
// the proposal in notes/otel.md must hold it.
func TestReadmeSnippet(t *testing.T) {
	fset := token.NewFileSet()
	src, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	f, err := parser.ParseFile(fset, "example_test.go", src, 0)
	require.NoError(t, err)
	var body string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "Example_prometheus" {
			from, to := fset.Position(fn.Body.Lbrace).Offset+2, fset.Position(fn.Body.Rbrace).Offset
			body = string(src[from:to]) // the lines between the braces
		}
	}
	require.NotEmpty(t, body, "Example_prometheus not found")
	body = strings.ReplaceAll("\n"+body, "\n\t", "\n")[1:] // one tab less

	doc := "../README.md"
	readme, err := os.ReadFile(doc)
	require.NoError(t, err)
	if !bytes.Contains(readme, []byte("otelvobizhook")) {
		doc = "../notes/otel.md"
		readme, err = os.ReadFile(doc)
		require.NoError(t, err)
	}
	assert.Contains(t, string(readme), "```go\n"+body+"```\n", "%s must show Example_prometheus's body in a go block", doc)
}
