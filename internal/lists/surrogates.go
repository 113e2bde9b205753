// SPDX-License-Identifier: GPL-3.0-or-later

package lists

import (
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"polaris/assets"
	"polaris/blocklist"
)

// SurrogateList returns Polaris's own surrogate scripts (assets/surrogates)
// as a resources list, compiled into every matcher ahead of the subscribed
// lists (whose own resources of the same name take their place). The
// scripts are part of the binary and tested: a bad one is a broken build.
var SurrogateList = sync.OnceValue(func() *blocklist.List {
	files, err := fs.Glob(assets.Surrogates, "surrogates/*.js")
	if err != nil {
		panic(err)
	}
	var b strings.Builder
	for _, f := range files {
		data, err := assets.Surrogates.ReadFile(f)
		if err != nil {
			panic(err)
		}
		body := strings.TrimRight(string(data), "\n")
		for _, name := range surrogateNames(body) {
			fmt.Fprintf(&b, "%s application/javascript\n%s\n\n", name, body)
		}
	}
	l, err := blocklist.ParseString(b.String(), blocklist.ListMeta{Name: "Polaris surrogates", Format: blocklist.FormatResources})
	if err != nil || len(l.Errors) > 0 {
		panic(fmt.Sprintf("assets/surrogates: %v %v", err, l.Errors))
	}
	return l
})

// surrogateNames reads the "// names:" line of a surrogate script.
func surrogateNames(body string) []string {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "// names:"); ok {
			return strings.Fields(rest)
		}
	}
	return nil
}
