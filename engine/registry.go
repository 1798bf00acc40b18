package engine

import "sync"

const registryShards = 64

// registry maps connection IDs to connections. Each shard is an
// open-addressing hash table of *Conn keyed by Conn.id (linear probing,
// backward-shift deletion), which costs about 14 bytes per connection
// against about 30 for a Go map. Shards keep registrations on different
// loops and lookups from sending goroutines from contending on one lock.
type registry struct {
	shards [registryShards]regShard
}

type regShard struct {
	mu    sync.RWMutex
	slots []*Conn // len is a power of two, or 0
	n     int
	_     [24]byte // keep shards on separate cache lines
}

func newRegistry() *registry { return &registry{} }

// home is the first slot probed for id (IDs are sequential: mix them).
func home(id uint64, mask int) int {
	id ^= id >> 29
	id *= 0xbf58476d1ce4e5b9
	id ^= id >> 32
	return int(id) & mask
}

func (r *registry) shard(id uint64) *regShard { return &r.shards[id%registryShards] }

func (r *registry) add(c *Conn) {
	s := r.shard(c.id)
	s.mu.Lock()
	if (s.n+1)*4 > len(s.slots)*3 { // keep the load factor under 3/4
		s.grow()
	}
	s.insert(c)
	s.n++
	s.mu.Unlock()
}

func (s *regShard) insert(c *Conn) {
	mask := len(s.slots) - 1
	for i := home(c.id, mask); ; i = (i + 1) & mask {
		if s.slots[i] == nil {
			s.slots[i] = c
			return
		}
	}
}

func (s *regShard) grow() {
	old := s.slots
	size := 2 * len(old)
	if size < 16 {
		size = 16
	}
	s.slots = make([]*Conn, size)
	for _, c := range old {
		if c != nil {
			s.insert(c)
		}
	}
}

func (r *registry) remove(id uint64) {
	s := r.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.slots) == 0 {
		return
	}
	mask := len(s.slots) - 1
	i := home(id, mask)
	for ; s.slots[i] != nil; i = (i + 1) & mask {
		if s.slots[i].id == id {
			break
		}
	}
	if s.slots[i] == nil {
		return
	}
	// Backward-shift deletion: move later entries of the probe run into
	// the hole when their home position allows it.
	for j := (i + 1) & mask; s.slots[j] != nil; j = (j + 1) & mask {
		h := home(s.slots[j].id, mask)
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = nil
	s.n--
	if s.n*8 < len(s.slots) && len(s.slots) > 16 { // shrink when 1/8 full
		old := s.slots
		s.slots = make([]*Conn, len(old)/2)
		for _, c := range old {
			if c != nil {
				s.insert(c)
			}
		}
	}
}

func (r *registry) get(id uint64) *Conn {
	s := r.shard(id)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.slots) == 0 {
		return nil
	}
	mask := len(s.slots) - 1
	for i := home(id, mask); s.slots[i] != nil; i = (i + 1) & mask {
		if c := s.slots[i]; c.id == id {
			return c
		}
	}
	return nil
}

// each calls fn for every registered connection until fn returns false. fn
// must not call back into the registry.
func (r *registry) each(fn func(*Conn) bool) {
	var batch []*Conn
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.RLock()
		batch = batch[:0]
		for _, c := range s.slots {
			if c != nil {
				batch = append(batch, c)
			}
		}
		s.mu.RUnlock()
		for _, c := range batch {
			if !fn(c) {
				return
			}
		}
	}
}

// Conn returns the connection with the given ID, or nil.
func (e *Engine) Conn(id uint64) *Conn { return e.reg.get(id) }

// Each calls fn for every connection until fn returns false.
func (e *Engine) Each(fn func(*Conn) bool) { e.reg.each(fn) }
