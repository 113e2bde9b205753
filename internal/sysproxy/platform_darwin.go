//go:build darwin

package sysproxy

// currentPlatform on macOS: networksetup, run through Config.Run.
func currentPlatform() platform { return platform{goos: "darwin"} }
