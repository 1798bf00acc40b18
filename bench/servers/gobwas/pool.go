package gobwas

import "sync"

// pool is a fixed set of worker goroutines fed by a bounded queue, the
// gopool shape the gobwas examples pair with netpoll: Schedule blocks when
// the queue is full, which pushes back on the poller.
type pool struct {
	tasks chan func()
	wg    sync.WaitGroup
}

func newPool(workers, queue int) *pool {
	p := &pool{tasks: make(chan func(), queue)}
	p.wg.Add(workers)
	for i := 0; i < workers; i++ {
		go func() {
			defer p.wg.Done()
			for t := range p.tasks {
				t()
			}
		}()
	}
	return p
}

// Schedule queues t.
func (p *pool) Schedule(t func()) { p.tasks <- t }

// Close stops the workers once the queued tasks ran.
func (p *pool) Close() {
	close(p.tasks)
	p.wg.Wait()
}
