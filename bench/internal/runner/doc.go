// Package runner drives the benchmark: it starts each implementation's
// benchserver pinned to one CPU, runs the wsloop loadtest CLI pinned to the
// other, collects its JSON Results and turns them into results.json, a
// markdown comparison table and bar charts.
package runner
