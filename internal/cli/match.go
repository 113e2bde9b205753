package cli

import "fmt"

// cmdMatch is replaced by the blocklist engine's implementation.
func cmdMatch(e *Env, _ Options, _ []string) int {
	fmt.Fprintln(e.Stderr, "polaris: match is not available in this build")
	return ExitError
}
