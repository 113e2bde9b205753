// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/status"
)

func TestSiteAnswers(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0).UTC()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SaveSiteCheck(ctx, status.SiteAnswer{Site: "news.example", TrackingStatus: "N", HonorsDNT: true, HonorsGPC: true, Checked: now}))
	must(s.SaveSiteCheck(ctx, status.SiteAnswer{Site: "silent.example", Checked: now}))
	must(s.SaveTk(ctx, "tk.example", "T", now))
	must(s.SaveTk(ctx, "news.example", "N", now))
	got, err := s.SiteAnswers(ctx)
	must(err)
	want := []status.SiteAnswer{
		{Site: "news.example", Tk: "N", TrackingStatus: "N", HonorsDNT: true, HonorsGPC: true, Checked: now},
		{Site: "tk.example", Tk: "T"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SiteAnswers (-want +got):\n%s", diff)
	}
	// A site that stops answering is forgotten.
	must(s.SaveSiteCheck(ctx, status.SiteAnswer{Site: "tk.example", Checked: now}))
	must(s.SaveTk(ctx, "tk.example", "", now))
	got, err = s.SiteAnswers(ctx)
	must(err)
	if len(got) != 1 || got[0].Site != "news.example" {
		t.Errorf("after tk.example stopped answering: %+v", got)
	}
}

func TestPassThroughHosts(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for _, h := range []string{"b.example", "a.example", "b.example", "a.example\tEdge/156/", "a.example.org\tEdge/156/"} {
		if err := s.AddPassThrough(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PassThroughHosts(ctx)
	if err != nil || !cmp.Equal(got, []string{"a.example", "a.example\tEdge/156/", "a.example.org\tEdge/156/", "b.example"}) {
		t.Errorf("PassThroughHosts = %q, %v", got, err)
	}
	// A host is forgotten for every client that pins it.
	if n, err := s.RemovePassThrough(ctx, "a.example"); n != 2 || err != nil {
		t.Errorf("RemovePassThrough(a.example) = %d, %v", n, err)
	}
	if n, err := s.RemovePassThrough(ctx, "a.example.org"); n != 1 || err != nil {
		t.Errorf("RemovePassThrough(a.example) = %d, %v", n, err)
	}
	if n, err := s.RemovePassThrough(ctx, ""); n != 1 || err != nil {
		t.Errorf("RemovePassThrough(all) = %d, %v", n, err)
	}
}

func TestCAFingerprint(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	if fp, err := s.CAFingerprint(ctx); fp != "" || err != nil {
		t.Errorf("CAFingerprint of a new database = %q, %v", fp, err)
	}
	if err := s.SetCAFingerprint(ctx, "abc"); err != nil {
		t.Fatal(err)
	}
	v1, _ := s.DataVersion(ctx)
	if err := s.SetCAFingerprint(ctx, "abc"); err != nil {
		t.Fatal(err)
	}
	if v2, _ := s.DataVersion(ctx); v2 != v1 {
		t.Error("writing the same fingerprint again woke watchers")
	}
	if fp, _ := s.CAFingerprint(ctx); fp != "abc" {
		t.Errorf("CAFingerprint = %q", fp)
	}
}
