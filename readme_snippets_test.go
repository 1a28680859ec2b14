package vobizhook_test

import (
	"net/http"
	"os"

	"github.com/vobizhook/vobizhook"
)

// The README's snippets that are not whole programs live in functions
// like these, so that they compile; TestReadmeSnippets checks that the
// README shows them as they are here.

func readmeBasicAuth() *vobizhook.Handler {
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{
			AuthTokens: []string{os.Getenv("VOBIZ_AUTH_TOKEN")},
			// As on <Conference callbackUrl=...>: Vobiz sends these credentials.
			CallbackURL:      "https://vobiz:" + os.Getenv("CALLBACK_PASSWORD") + "@app.example/conference-events",
			RequireBasicAuth: true, // check Authorization: Basic too (401 when wrong)
		},
	}
	return h
}

type tenantStore interface {
	AuthToken(tenant string) (string, bool, error)
}

func readmeTenants(tenants tenantStore) http.Handler {
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{Lookup: func(r *http.Request) (vobizhook.Account, error) {
			tenant := r.PathValue("tenant")
			token, ok, err := tenants.AuthToken(tenant) // your database; must not read r.Body
			switch {
			case err != nil:
				return vobizhook.Account{}, err // 503: Vobiz retries
			case !ok:
				return vobizhook.Account{}, vobizhook.ErrUnknownAccount // 403
			}
			return vobizhook.Account{
				AuthTokens:  []string{token},
				CallbackURL: "https://app.example/vobiz/" + tenant + "/conference-events",
			}, nil
		}},
	}
	mux := http.NewServeMux()
	mux.Handle("/vobiz/{tenant}/conference-events", h)
	return mux
}

// The snippets are compiled, not run.
var _ = []any{readmeBasicAuth, readmeTenants}
