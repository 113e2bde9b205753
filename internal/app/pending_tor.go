package app

import (
	"context"

	"polaris/internal/status"
)

// Stubs until Tor routing lands (issue 6); that work replaces this file.

func (a *App) NewIdentity(ctx context.Context) error { return ErrUnavailable }
func (a *App) Circuit(ctx context.Context, site string) (status.Circuit, error) {
	return status.Circuit{}, ErrUnavailable
}
