//go:build linux

package gobwas

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
)

// poller is a minimal one-shot epoll readiness notifier in the shape of
// mailru/easygo's netpoll (which the Go module proxy does not serve here):
// a connection is registered with EPOLLONESHOT, its callback runs once when
// it becomes readable, and the callback re-arms it with Resume. The epoll
// event carries a never-reused 32-bit id, not the fd, so a closed and reused
// fd can never reach the wrong connection.
type poller struct {
	epfd   int
	mu     sync.Mutex
	ready  map[uint32]func()
	nextID uint32
	closed atomic.Bool
	done   chan struct{}
}

const armFlags = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// waitMillis bounds each epoll_wait so Close is noticed promptly.
const waitMillis = 200

func newPoller() (*poller, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &poller{epfd: fd, ready: make(map[uint32]func()), done: make(chan struct{})}
	go p.loop()
	return p, nil
}

func (p *poller) loop() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 256)
	for !p.closed.Load() {
		n, err := syscall.EpollWait(p.epfd, events, waitMillis)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return
		}
		for i := 0; i < n; i++ {
			id := uint32(events[i].Fd)
			p.mu.Lock()
			fn := p.ready[id]
			p.mu.Unlock()
			if fn != nil {
				fn()
			}
		}
	}
}

// NewID reserves a registration id.
func (p *poller) NewID() uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	return p.nextID
}

// Start registers fd under id (from NewID); fn runs (on the poller
// goroutine) each time fd becomes readable after Start or Resume.
func (p *poller) Start(fd int, id uint32, fn func()) error {
	p.mu.Lock()
	p.ready[id] = fn
	p.mu.Unlock()
	ev := syscall.EpollEvent{Events: armFlags, Fd: int32(id)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.mu.Lock()
		delete(p.ready, id)
		p.mu.Unlock()
		return err
	}
	return nil
}

// Resume re-arms fd after its callback ran.
func (p *poller) Resume(fd int, id uint32) error {
	// Publish the caller's writes to the next callback's goroutine: the
	// callback lookup takes the same lock after epoll reports the event.
	p.mu.Lock()
	p.mu.Unlock() //nolint:staticcheck // empty critical section is the point
	ev := syscall.EpollEvent{Events: armFlags, Fd: int32(id)}
	return syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, fd, &ev)
}

// Stop unregisters fd; call it before closing the connection.
func (p *poller) Stop(fd int, id uint32) {
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	p.mu.Lock()
	delete(p.ready, id)
	p.mu.Unlock()
}

// Close stops the poller goroutine and releases the epoll descriptor.
func (p *poller) Close() {
	if p.closed.Swap(true) {
		return
	}
	<-p.done
	_ = syscall.Close(p.epfd)
}
