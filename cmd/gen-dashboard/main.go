// Command gen-dashboard writes orgsync's Grafana dashboard (internal/dashboard) as
// JSON; 'make manifests' runs it to refresh the chart's copy.
//
//	go run ./cmd/gen-dashboard charts/orgsync/files/dashboard.json
package main

import (
	"fmt"
	"os"

	"github.com/orgsync/orgsync/internal/dashboard"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen-dashboard FILE")
		os.Exit(2)
	}
	data, err := dashboard.JSON()
	if err == nil {
		err = os.WriteFile(os.Args[1], data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-dashboard:", err)
		os.Exit(1)
	}
}
