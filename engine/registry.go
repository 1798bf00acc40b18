package engine

import "sync"

const registryShards = 64

// registry maps connection IDs to connections. It is sharded so that
// registrations on different loops and lookups from sending goroutines do not
// contend on one lock.
type registry struct {
	shards [registryShards]struct {
		mu sync.RWMutex
		m  map[uint64]*Conn
		_  [40]byte // keep shards on separate cache lines
	}
}

func newRegistry() *registry {
	r := &registry{}
	for i := range r.shards {
		r.shards[i].m = make(map[uint64]*Conn)
	}
	return r
}

func (r *registry) add(c *Conn) {
	s := &r.shards[c.id%registryShards]
	s.mu.Lock()
	s.m[c.id] = c
	s.mu.Unlock()
}

func (r *registry) remove(id uint64) {
	s := &r.shards[id%registryShards]
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

func (r *registry) get(id uint64) *Conn {
	s := &r.shards[id%registryShards]
	s.mu.RLock()
	c := s.m[id]
	s.mu.RUnlock()
	return c
}

// each calls fn for every registered connection until fn returns false. fn
// must not call back into the registry.
func (r *registry) each(fn func(*Conn) bool) {
	var batch []*Conn
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.RLock()
		batch = batch[:0]
		for _, c := range s.m {
			batch = append(batch, c)
		}
		s.mu.RUnlock()
		for _, c := range batch {
			if !fn(c) {
				return
			}
		}
	}
}
