// SPDX-License-Identifier: GPL-3.0-or-later

// Command matchcmd runs `polaris match` alone, for bench/engines.sh when no
// polaris binary with the match command is at hand. It is not part of the
// product.
package main

import (
	"os"

	"polaris/internal/cli"
)

func main() {
	os.Exit(cli.Match(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
