// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"testing"

	"polaris/internal/testenv"
)

// TestNoBineInAPI checks that no exported declaration mentions a bine
// type: nothing outside tor/ may see one.
func TestNoBineInAPI(t *testing.T) { testenv.LibraryHidden(t, ".", "github.com/cretz/bine") }
