package loadtest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// A pubsub run over -procs workers: every worker subscribes its share of
// the connections, worker 0 alone publishes, and the workers meet in the
// parent's temporary directory twice. Publishing starts once every worker
// has its subscriptions confirmed (the "ready" files), and after the
// traffic worker 0 writes how many messages each publisher sent to each
// topic, which the others need to count what never arrived.
const (
	shareEnv      = "WSLOOP_LOADTEST_WORKER_SHARE" // "<index>/<n>"
	publishedFile = "published.json"
	maxShareWait  = 2 * time.Minute // bound on waiting for the other workers
)

// parseShare reads "<index>/<n>" for the worker whose result goes to out.
func parseShare(s, out string) (*procShare, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || n > maxProcs || i < 0 || i >= n {
		return nil, fmt.Errorf("bad %s %q", shareEnv, s)
	}
	return &procShare{index: i, n: n, dir: filepath.Dir(out)}, nil
}

// meet announces this worker under name and waits, at most limit, until
// all n workers have.
func (s *procShare) meet(ctx context.Context, name string, limit time.Duration) {
	_ = os.WriteFile(filepath.Join(s.dir, name+"."+strconv.Itoa(s.index)), nil, 0o600)
	end := time.Now().Add(limit)
	for ctx.Err() == nil && time.Now().Before(end) {
		m, _ := filepath.Glob(filepath.Join(s.dir, name+".*"))
		if len(m) >= s.n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// published reports whether worker 0 has written its publish counts.
func (s *procShare) published() bool {
	_, err := os.Stat(filepath.Join(s.dir, publishedFile))
	return err == nil
}

// exchangePublished makes the publish counts common: worker 0 writes its
// own, the others wait for them (at most limit) and take them as theirs.
func (s *procShare) exchangePublished(ctx context.Context, pr *pubsubRun, limit time.Duration) error {
	path := filepath.Join(s.dir, publishedFile)
	counts := make([][]uint64, len(pr.pub))
	if s.index == 0 {
		for i := range pr.pub {
			counts[i] = make([]uint64, len(pr.pub[i]))
			for t := range pr.pub[i] {
				counts[i][t] = pr.pub[i][t].Load()
			}
		}
		b, err := json.Marshal(counts)
		if err != nil {
			return err
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			return err
		}
		return os.Rename(tmp, path) // readers see the whole file or none
	}
	end := time.Now().Add(limit)
	for !s.published() {
		if ctx.Err() != nil || time.Now().After(end) {
			return errors.New("pubsub worker: the publishing worker never wrote its counts")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &counts)
	}
	if err != nil {
		return err
	}
	if len(counts) != len(pr.pub) {
		return fmt.Errorf("pubsub worker: %d publishers' counts, want %d", len(counts), len(pr.pub))
	}
	for i := range counts {
		for t := range min(len(counts[i]), len(pr.pub[i])) {
			pr.pub[i][t].Store(counts[i][t])
		}
	}
	return nil
}

// mergePubSub adds the workers' pubsub figures up, node by node; nodeLat
// are the workers' per-node latency histograms ([worker][node], encoded).
func mergePubSub(parts []*workerResult) (*PubSubStats, []*hdrhistogram.Histogram, error) {
	var out *PubSubStats
	var hists []*hdrhistogram.Histogram
	all := newHist()
	for w, p := range parts {
		s := p.Result.PubSub
		if s == nil {
			return nil, nil, fmt.Errorf("worker %d: no pubsub figures", w)
		}
		if out == nil {
			out = &PubSubStats{Topics: s.Topics, Publishers: s.Publishers, Nodes: make([]PubSubNode, len(s.Nodes))}
			hists = make([]*hdrhistogram.Histogram, len(s.Nodes))
			for i := range hists {
				hists[i] = newHist()
			}
		}
		if len(s.Nodes) != len(out.Nodes) || len(p.NodeLatency) != len(s.Nodes) {
			return nil, nil, fmt.Errorf("worker %d: %d nodes, want %d", w, len(s.Nodes), len(out.Nodes))
		}
		out.Published += s.Published
		out.Subscribed += s.Subscribed
		out.Deliveries += s.Deliveries
		out.DeliveriesPS += s.DeliveriesPS
		out.Lost += s.Lost
		out.Duplicates += s.Duplicates
		out.Reconnects += s.Reconnects
		out.ServerRefused += s.ServerRefused
		out.Outages = mergeOutages(out.Outages, s.Outages)
		for i, n := range s.Nodes {
			h, err := hdrhistogram.Decode(p.NodeLatency[i])
			if err != nil {
				return nil, nil, fmt.Errorf("worker %d: node %d histogram: %w", w, i, err)
			}
			hists[i].Merge(h)
			m := &out.Nodes[i]
			m.URL = n.URL
			m.Subscribers += n.Subscribers
			m.Deliveries += n.Deliveries
			m.Lost += n.Lost
			m.Duplicates += n.Duplicates
		}
	}
	for i := range out.Nodes {
		out.Nodes[i].Latency = latencyOf(hists[i])
		all.Merge(hists[i])
	}
	out.Latency = latencyOf(all)
	return out, hists, nil
}

// mergeOutages joins two workers' outages: the same node (and publisher)
// going quiet is seen by every worker with subscribers there, so outages
// of one node and publisher that overlap in time become one, from the
// earliest start to the latest resumption (never, if one never resumed),
// with the losses of both.
func mergeOutages(a, b []PubSubOutage) []PubSubOutage {
	all := slices.Concat(a, b)
	slices.SortFunc(all, func(x, y PubSubOutage) int {
		return cmp.Or(cmp.Compare(x.Node, y.Node), cmp.Compare(x.Publisher, y.Publisher), cmp.Compare(x.FromS, y.FromS))
	})
	var out []PubSubOutage
	for _, o := range all {
		if n := len(out); n > 0 {
			p := &out[n-1]
			if p.Node == o.Node && p.Publisher == o.Publisher && (p.ResumedS == 0 || o.FromS <= p.ResumedS) {
				if o.ResumedS == 0 {
					p.ResumedS = 0
				} else if p.ResumedS != 0 {
					p.ResumedS = max(p.ResumedS, o.ResumedS)
				}
				p.Lost += o.Lost
				continue
			}
		}
		out = append(out, o)
	}
	return out
}
