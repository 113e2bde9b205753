// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"testing"
)

// Every table in the schema is explained to the user.
func TestEveryTableDocumented(t *testing.T) {
	s, _ := openTemp(t)
	tables, err := s.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatal("no tables")
	}
	for _, tb := range tables {
		if tb.Doc.What == "" || tb.Doc.Why == "" || tb.Doc.Retention == "" {
			t.Errorf("table %q has no complete entry in TableDocs: the data inventory must say what it holds, why and for how long", tb.Name)
		}
	}
}
