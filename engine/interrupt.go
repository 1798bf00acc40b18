package engine

// Interrupt aborts, with ErrInterrupted, the Sends waiting for room on the
// connection and any interruptible operation in progress on it (a
// SendReader between two fragments is stopped at the next one). Safe from
// any goroutine.
func (c *Conn) Interrupt() error {
	c.mu.Lock()
	if x := c.x.Load(); x != nil && (x.drained != nil || x.busy > 0) {
		setFlag(&c.sflags, sInterrupted, true)
		if x.drained != nil {
			close(x.drained)
			x.drained = nil
		}
	}
	c.mu.Unlock()
	return nil
}

// beginInterruptible marks the start of a long operation made of several
// sends (SendReader), so that Interrupt stops it even between two of them.
// Pair it with endInterruptible.
func (c *Conn) beginInterruptible() {
	c.mu.Lock()
	c.ext().busy++
	c.mu.Unlock()
}

// endInterruptible marks the end of an operation begun with
// beginInterruptible.
func (c *Conn) endInterruptible() {
	c.mu.Lock()
	x := c.ext()
	if x.busy--; x.busy == 0 {
		setFlag(&c.sflags, sInterrupted, false) // an Interrupt that came too late
	}
	c.mu.Unlock()
}

// takeInterruptLocked reports (and clears) a pending Interrupt. c.mu is
// held.
func (c *Conn) takeInterruptLocked() bool {
	if c.sflags&sInterrupted == 0 {
		return false
	}
	setFlag(&c.sflags, sInterrupted, false)
	return true
}
