package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/wsloop/wsloop/api"
)

// logSummaries logs one line every interval with the open connections and
// what happened since the last line, while something happens: at the
// default log level this is the only activity logged (never a line per
// connection). It returns when ctx ends.
func logSummaries(ctx context.Context, srv *api.Server, logger *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last api.Metrics
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m := srv.Metrics()
		if m.Connections == last.Connections && m.Accepted == last.Accepted && m.MessagesIn == last.MessagesIn &&
			m.MessagesOut == last.MessagesOut && m.HandshakeErrors == last.HandshakeErrors {
			continue // nothing happened
		}
		logger.LogAttrs(ctx, slog.LevelInfo, "summary",
			slog.Int("connections", m.Connections),
			slog.Uint64("upgraded", m.Upgraded-last.Upgraded),
			slog.Uint64("refused", m.HandshakeErrors-last.HandshakeErrors+m.Refused-last.Refused),
			slog.Uint64("messages_in", m.MessagesIn-last.MessagesIn),
			slog.Uint64("messages_out", m.MessagesOut-last.MessagesOut),
			slog.Uint64("bytes_in", m.BytesIn-last.BytesIn),
			slog.Uint64("bytes_out", m.BytesOut-last.BytesOut),
			slog.Uint64("protocol_errors", m.ProtocolErrors-last.ProtocolErrors),
			slog.Uint64("slow_consumers", m.SlowConsumers-last.SlowConsumers),
			slog.Duration("interval", interval))
		last = m
	}
}
