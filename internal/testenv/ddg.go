package testenv

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// ReadJSON decodes the shared file rel (relative to the shared folder)
// into v, failing the test if it cannot.
func ReadJSON(t testing.TB, rel string, v any) {
	t.Helper()
	data, err := os.ReadFile(Shared(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// DDGDecidable returns, for one file of the DuckDuckGo privacy reference
// tests (its path under ddg-reference-tests/), the "set/index" keys of the
// cases ddg-reference-tests/proxy-classification.json marks decidable by a
// proxy: "yes", "yes*" and "partial" (whose request decision and surrogate
// body a proxy can check). It fails the test when there is none.
func DDGDecidable(t testing.TB, file string) map[string]bool {
	t.Helper()
	var rows []struct {
		File  string `json:"file"`
		Set   string `json:"set"`
		Index int    `json:"index"`
		Proxy string `json:"proxy"`
	}
	ReadJSON(t, "ddg-reference-tests/proxy-classification.json", &rows)
	out := map[string]bool{}
	for _, r := range rows {
		if r.File == file && (r.Proxy == "yes" || r.Proxy == "yes*" || r.Proxy == "partial") {
			out[fmt.Sprintf("%s/%d", r.Set, r.Index)] = true
		}
	}
	if len(out) == 0 {
		t.Fatalf("no decidable cases for %s", file)
	}
	return out
}
