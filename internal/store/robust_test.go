// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a second process for these tests: with
// POLARIS_STORE_CHILD set it runs that role instead of the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("POLARIS_STORE_CHILD") {
	case "writer":
		childWriter(os.Getenv("POLARIS_STORE_PATH"))
	case "locker":
		childLocker(os.Getenv("POLARIS_STORE_PATH"))
	default:
		os.Exit(m.Run())
	}
}

// childWriter commits settings as fast as it can and prints the number of
// each committed write, until it is killed.
func childWriter(path string) {
	ctx := context.Background()
	s, _, err := Open(ctx, path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	j := SysproxyJournal{s}
	for i := 1; ; i++ {
		v := strconv.Itoa(i)
		big := strings.Repeat(v, 50)
		if err := s.SaveSettings(ctx, map[string]string{"counter": v, "k" + strconv.Itoa(i%97): big}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if err := j.Save(ctx, []byte(big)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

// childLocker holds a write lock on the database until it is killed.
func childLocker(path string) {
	ctx := context.Background()
	s, _, err := Open(ctx, path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if _, err := tx.Exec("INSERT INTO settings(key, value, updated) VALUES('held', '1', 0)"); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	select {}
}

func child(t *testing.T, role, path string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "POLARIS_STORE_CHILD="+role, "POLARIS_STORE_PATH="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewScanner(out)
}

// A process killed with SIGKILL in the middle of a burst of writes loses
// nothing it committed, and the database stays sound.
func TestKillDuringWriteBurst(t *testing.T) {
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		path := filepath.Join(t.TempDir(), FileName)
		cmd, sc := child(t, "writer", path)
		last := 0
		target := 200 + round*300
		for sc.Scan() {
			line := sc.Text()
			n, err := strconv.Atoi(line)
			if err != nil {
				t.Fatalf("writer: %s", line)
			}
			last = n
			if n >= target {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		s, rec, err := Open(ctx, path)
		if err != nil || rec != nil {
			t.Fatalf("reopening after kill -9: %v %+v", err, rec)
		}
		var res string
		if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
			t.Fatalf("integrity_check after kill -9 = %q, %v", res, err)
		}
		m, err := s.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := strconv.Atoi(m["counter"])
		if got < last {
			t.Errorf("round %d: write %d was committed before the kill, but the database holds %d", round, last, got)
		}
		// The journal is written in its own transaction right after the
		// settings: it holds the same write or the one before.
		j, ok, err := SysproxyJournal{s}.Load(ctx)
		if err != nil || !ok || (string(j) != strings.Repeat(strconv.Itoa(got), 50) && string(j) != strings.Repeat(strconv.Itoa(got-1), 50)) {
			t.Errorf("journal after kill -9: %v %v %.20q (counter %d)", ok, err, j, got)
		}
		s.Close()
	}
}

func TestLockedByAnotherProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	s, _, err := Open(ctx, path, WithBusyTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, sc := child(t, "locker", path)
	if !sc.Scan() || sc.Text() != "locked" {
		t.Fatalf("locker: %q", sc.Text())
	}
	start := time.Now()
	err = s.SaveSettings(ctx, map[string]string{"dnt": "1"})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("SaveSettings while another process holds the lock = %v, want ErrLocked", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("waited %v for the lock; the busy timeout is 300 ms", time.Since(start))
	}
	// Reading still works (WAL readers are not blocked by a writer).
	if _, err := s.Settings(ctx); err != nil {
		t.Errorf("reading while another process writes: %v", err)
	}
}

// mountTmpfs mounts a small tmpfs on a new directory, or returns "" if this
// machine does not allow it.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("cannot mount a tmpfs here (%v: %s); using SQLite's page limit instead", err, strings.TrimSpace(string(out)))
		return ""
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	dir := mountTmpfs(t, "512k")
	var path string
	if dir != "" {
		path = filepath.Join(dir, FileName)
	} else {
		path = filepath.Join(t.TempDir(), FileName)
	}
	s, _, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SaveSettings(ctx, map[string]string{"dnt": "1"}); err != nil {
		t.Fatal(err)
	}
	if dir != "" {
		// Fill the file system.
		f, _ := os.Create(filepath.Join(dir, "filler"))
		buf := make([]byte, 4096)
		for {
			if _, err := f.Write(buf); err != nil {
				break
			}
		}
		f.Close()
	} else {
		var pages int
		s.db.QueryRow("PRAGMA page_count").Scan(&pages)
		s.db.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages))
	}
	big := map[string]string{}
	for i := 0; i < 400; i++ {
		big[fmt.Sprintf("key%d", i)] = strings.Repeat("x", 2000)
	}
	err = s.SaveSettings(ctx, big)
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("SaveSettings on a full disk = %v, want ErrDiskFull", err)
	}
	// What was committed before is intact.
	m, err := s.Settings(ctx)
	if err != nil || m["dnt"] != "1" {
		t.Errorf("after a failed write: %v %q", err, m["dnt"])
	}
}

func TestReadOnlyDataDir(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	path := filepath.Join(src, FileName)
	s, _, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.SaveSettings(ctx, map[string]string{"dnt": "0"})
	s.Close()

	ro := t.TempDir()
	if out, err := exec.Command("mount", "--bind", src, ro).CombinedOutput(); err != nil {
		t.Skipf("cannot bind-mount here (%v: %s), and as root a chmod would not stop writes", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", ro).Run() })
	if out, err := exec.Command("mount", "-o", "remount,ro,bind", ro).CombinedOutput(); err != nil {
		t.Skipf("cannot remount read-only here: %v: %s", err, out)
	}
	rpath := filepath.Join(ro, FileName)
	_, _, err = Open(ctx, rpath)
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Open in a read-only dir = %v, want ErrReadOnly", err)
	}
	f, err := OpenFrozen(ctx, rpath)
	if err != nil {
		t.Fatalf("OpenFrozen: %v", err)
	}
	defer f.Close()
	m, err := f.Settings(ctx)
	if err != nil || m["dnt"] != "0" {
		t.Errorf("settings read from a read-only dir: %v %q", err, m["dnt"])
	}
	if err := f.SaveSettings(ctx, map[string]string{"dnt": "1"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("a write to a frozen store = %v, want ErrReadOnly", err)
	}
}
