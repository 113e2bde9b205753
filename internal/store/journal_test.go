// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"testing"
)

func TestSysproxyJournal(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	j := SysproxyJournal{s}
	if _, ok, err := j.Load(ctx); ok || err != nil {
		t.Fatalf("empty journal: ok=%v err=%v", ok, err)
	}
	if err := j.Save(ctx, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := j.Save(ctx, []byte(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, _, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	j = SysproxyJournal{s2}
	got, ok, err := j.Load(ctx)
	if err != nil || !ok || string(got) != `{"a":2}` {
		t.Fatalf("Load after reopen = %q %v %v", got, ok, err)
	}
	if err := j.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := j.Load(ctx); ok {
		t.Error("journal still there after Clear")
	}
}
