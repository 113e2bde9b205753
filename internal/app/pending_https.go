package app

import (
	"context"

	"polaris/internal/status"
)

// Stubs until HTTPS filtering and the CA land (issue 5); that work replaces this file.

func (a *App) SiteAnswers(ctx context.Context) ([]status.SiteAnswer, error) { return nil, nil }
func (a *App) InstallCA(ctx context.Context) (string, error)                { return "", ErrUnavailable }
func (a *App) UninstallCA(ctx context.Context) (string, error)              { return "", ErrUnavailable }
func (a *App) ExportCA(path string, der bool) error                         { return ErrUnavailable }
func (a *App) RegenerateCA(ctx context.Context) error                       { return ErrUnavailable }
