// SPDX-License-Identifier: GPL-3.0-or-later

//go:build windows

package sysproxy

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// currentPlatform on Windows: the HKEY_CURRENT_USER registry and the
// WinINet refresh.
func currentPlatform() platform {
	return platform{goos: "windows", openReg: openHKCU, refresh: refreshWinINet}
}

type winKey struct{ k registry.Key }

func openHKCU(path string) (regKey, error) {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, path, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return nil, err
	}
	return winKey{k}, nil
}

func (w winKey) GetString(name string) (string, bool, error) {
	v, _, err := w.k.GetStringValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return "", false, nil
	}
	return v, err == nil, err
}

func (w winKey) GetDWord(name string) (uint32, bool, error) {
	v, _, err := w.k.GetIntegerValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, false, nil
	}
	return uint32(v), err == nil, err
}

func (w winKey) SetString(name, v string) error       { return w.k.SetStringValue(name, v) }
func (w winKey) SetDWord(name string, v uint32) error { return w.k.SetDWordValue(name, v) }
func (w winKey) Close() error                         { return w.k.Close() }

func (w winKey) Delete(name string) error {
	err := w.k.DeleteValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	return err
}

const (
	internetOptionSettingsChanged = 39
	internetOptionRefresh         = 37
)

// wininet.dll is loaded from System32 only (no DLL search-path planting).
var procInternetSetOption = windows.NewLazySystemDLL("wininet.dll").NewProc("InternetSetOptionW")

// refreshWinINet tells running WinINet programs to re-read the settings
// (INTERNET_OPTION_SETTINGS_CHANGED, then INTERNET_OPTION_REFRESH).
func refreshWinINet() error {
	for _, opt := range []uintptr{internetOptionSettingsChanged, internetOptionRefresh} {
		r, _, err := procInternetSetOption.Call(0, opt, 0, 0)
		if r == 0 {
			return fmt.Errorf("InternetSetOption(%d): %w", opt, err)
		}
	}
	return nil
}
