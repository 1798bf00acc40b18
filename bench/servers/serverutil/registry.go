package serverutil

import "sync"

// Registry is a concurrency-safe set of open connections used by the
// broadcast mode. Snapshot copies the members into a reused slice so the
// caller can write without holding the lock.
type Registry[T comparable] struct {
	mu    sync.RWMutex
	set   map[T]struct{}
	spare sync.Pool
}

// Add inserts c.
func (r *Registry[T]) Add(c T) {
	r.mu.Lock()
	if r.set == nil {
		r.set = make(map[T]struct{})
	}
	r.set[c] = struct{}{}
	r.mu.Unlock()
}

// Remove deletes c.
func (r *Registry[T]) Remove(c T) {
	r.mu.Lock()
	delete(r.set, c)
	r.mu.Unlock()
}

// Len reports the number of members.
func (r *Registry[T]) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.set)
}

// Snapshot returns the current members; give the slice back with Release.
func (r *Registry[T]) Snapshot() *[]T {
	p, _ := r.spare.Get().(*[]T)
	if p == nil {
		p = new([]T)
	}
	s := (*p)[:0]
	r.mu.RLock()
	for c := range r.set {
		s = append(s, c)
	}
	r.mu.RUnlock()
	*p = s
	return p
}

// Release returns a slice obtained from Snapshot.
func (r *Registry[T]) Release(p *[]T) {
	var zero T
	s := *p
	for i := range s {
		s[i] = zero
	}
	*p = s[:0]
	r.spare.Put(p)
}

// Each calls fn for every member while holding a read lock; fn must not
// block for long or call Add/Remove.
func (r *Registry[T]) Each(fn func(T)) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for c := range r.set {
		fn(c)
	}
}
