// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"testing"
)

// A meta fact survives closing and reopening the database file.
func TestMetaSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if v, ok, err := s.Meta(ctx, MetaSetupSeen); err != nil || ok || v != "" {
		t.Fatalf("Meta on a new database = %q, %v, %v; want unset", v, ok, err)
	}
	if err := s.SetMeta(ctx, MetaSetupSeen, "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta(ctx, MetaSetupSeen, "2"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, _, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if v, ok, err := s2.Meta(ctx, MetaSetupSeen); err != nil || !ok || v != "2" {
		t.Fatalf("Meta after reopening = %q, %v, %v; want \"2\", set", v, ok, err)
	}
}
