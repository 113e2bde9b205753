package app

import (
	"context"
	"time"

	"polaris/internal/status"
)

// Stubs until tracker blocking lands (issue 4); that work replaces this file.

func (a *App) ValidateRule(line string) error                      { return ErrUnavailable }
func (a *App) RecentDecisions(max int) []status.Decision           { return nil }
func (a *App) Pause(d time.Duration) error                         { return ErrUnavailable }
func (a *App) Resume() error                                       { return ErrUnavailable }
func (a *App) AddList(ctx context.Context, url, name string) error { return ErrUnavailable }
func (a *App) RemoveList(ctx context.Context, id int64) error      { return ErrUnavailable }
func (a *App) SetListEnabled(ctx context.Context, id int64, on bool) error {
	return ErrUnavailable
}
func (a *App) SetListInterval(ctx context.Context, id int64, every time.Duration) error {
	return ErrUnavailable
}
func (a *App) UpdateLists(ctx context.Context, id int64) error { return ErrUnavailable }
