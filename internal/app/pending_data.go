package app

import (
	"context"

	"polaris/internal/status"
)

// Stubs until the data inventory, export and delete land (issue 9); that
// work replaces this file.

func (a *App) Inventory(ctx context.Context) (status.Inventory, error) {
	return status.Inventory{Dir: a.opts.DataDir}, ErrUnavailable
}
func (a *App) ExportData(ctx context.Context, path string) error { return ErrUnavailable }
func (a *App) ImportData(ctx context.Context, path string) error { return ErrUnavailable }
func (a *App) DeleteAllData(ctx context.Context) error           { return ErrUnavailable }
