//go:build !linux

package gobwas

import "errors"

type poller struct{}

func newPoller() (*poller, error) {
	return nil, errors.New("gobwas bench server: epoll is Linux-only")
}

func (p *poller) NewID() uint32                   { return 0 }
func (p *poller) Start(int, uint32, func()) error { return errors.New("unsupported") }
func (p *poller) Resume(int, uint32) error        { return errors.New("unsupported") }
func (p *poller) Stop(int, uint32)                {}
func (p *poller) Close()                          {}
