// SPDX-License-Identifier: GPL-3.0-or-later

package resolver

import (
	"testing"

	"polaris/internal/testenv"
)

// TestNoLibraryInAPI checks that no exported declaration mentions a
// miekg/dns type: nothing outside the resolver may see one.
func TestNoLibraryInAPI(t *testing.T) { testenv.LibraryHidden(t, ".", "github.com/miekg/dns") }
