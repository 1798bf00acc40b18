package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wsloop/wsloop/codec"
)

// idleClientEnv makes the test binary act as the client process of
// BenchmarkIdleConnections10k: "addr,count".
const idleClientEnv = "WSLOOP_IDLE_CLIENT"

func TestMain(m *testing.M) {
	if v := os.Getenv(idleClientEnv); v != "" {
		os.Exit(idleClient(v))
	}
	os.Exit(m.Run())
}

// idleClient opens count WebSocket connections to addr from 127.0.0.1..4,
// prints "ready", and holds them until its standard input closes.
func idleClient(spec string) int {
	addr, countStr, _ := strings.Cut(spec, ",")
	count, err := strconv.Atoi(countStr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad spec", spec)
		return 2
	}
	conns := make([]net.Conn, 0, count)
	buf := make([]byte, 512)
	for i := range count {
		d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i%4))}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "dial %d: %v\n", i, err)
			return 1
		}
		if _, err := io.WriteString(c, upgradeRequest); err != nil {
			fmt.Fprintf(os.Stderr, "write %d: %v\n", i, err)
			return 1
		}
		// The 101 response is small and arrives in one read.
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := c.Read(buf)
		if err != nil || !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 101") {
			fmt.Fprintf(os.Stderr, "upgrade %d: %q %v\n", i, buf[:n], err)
			return 1
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		_ = c.Close()
	}
	return 0
}

// BenchmarkEchoRoundTrip measures one client sending a message and reading
// the echo, on one connection, for 64 B to 64 KiB messages. The client side is allocation-free (a
// pre-built masked frame, reads into a fixed buffer), so allocs/op and
// server-allocs/op (runtime.MemStats.Mallocs delta per round trip) are the
// server's.
func BenchmarkEchoRoundTrip(b *testing.B) {
	for _, size := range []int{64, 1024, 16 << 10, 64 << 10} {
		b.Run(strconv.Itoa(size)+"B", func(b *testing.B) {
			// Large messages arrive over several reads: deliver them
			// whole, as the bench server does, so that the echo is one
			// frame.
			e, _ := startEngine(b, Options{NumLoops: 1, BufferMessage: size > 1024}, true)
			c, br := rawUpgrade(b, "127.0.0.1:"+strconv.Itoa(e.Port()), nil)
			defer c.Close()
			if br.Buffered() != 0 {
				b.Fatal("unexpected data after the 101")
			}
			frame := ws.MustCompileFrame(ws.MaskFrameInPlace(ws.NewBinaryFrame(make([]byte, size))))
			benchRoundTrips(b, c, frame, size, 100)
		})
	}
}

// benchRoundTrips writes frame and reads a reply of an uncompressed
// size-byte message, warm times unmeasured, then b.N times measured. It
// reports server-allocs/op, the process's mallocs per round trip: the
// client side allocates nothing, so they are the server's.
func benchRoundTrips(b *testing.B, c net.Conn, frame []byte, size, warm int) {
	reply := make([]byte, codec.HeaderLen(size)+size)
	roundTrip := func() {
		if _, err := c.Write(frame); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, reply); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(size))
	benchServerAllocs(b, warm, roundTrip)
}

// benchServerAllocs runs op warm times unmeasured, then b.N times
// measured, and reports server-allocs/op: the process's mallocs per op.
// The benchmarks' clients allocate nothing, so they are the server's.
func benchServerAllocs(b *testing.B, warm int, op func()) {
	for range warm { // warm pools and buffers
		op()
	}
	var before, after runtime.MemStats
	b.ReportAllocs()
	b.ResetTimer()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		op()
	}
	runtime.ReadMemStats(&after)
	b.StopTimer()
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "server-allocs/op")
}

// BenchmarkIdleConnections10k opens 10,000 idle WebSocket connections from
// a client subprocess (so that only the server's memory is in this
// process) and reports the server's heap and RSS per connection.
func BenchmarkIdleConnections10k(b *testing.B) {
	const n = 10000
	for range b.N {
		m := idleConnections(b, n)
		b.ReportMetric(m.heap, "heap-B/conn")
		b.ReportMetric(m.rss, "rss-B/conn")
		b.ReportMetric(m.alloc, "alloc-B/conn")
		b.ReportMetric(m.mallocs, "mallocs/conn")
	}
}

// idleFigures are per-connection figures of BenchmarkIdleConnections10k:
// live heap and RSS growth, and what accepting and upgrading allocated in
// all, garbage included (gnet's accept path allocates about 220 B of it).
type idleFigures struct{ heap, rss, alloc, mallocs float64 }

func idleConnections(b *testing.B, n int) idleFigures {
	e, h := startEngine(b, Options{NumLoops: 2, Backlog: 4096}, true)
	// Warm the engine's per-loop state with a connection on each loop.
	for range 2 {
		c, _ := rawUpgrade(b, "127.0.0.1:"+strconv.Itoa(e.Port()), nil)
		defer c.Close()
	}
	for h.connected.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	heap0, rss0 := memNow()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), idleClientEnv+"=127.0.0.1:"+strconv.Itoa(e.Port())+","+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		b.Fatalf("client: %q %v", line, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for h.connected.Load() < int64(n+2) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := h.connected.Load(); got < int64(n+2) {
		b.Fatalf("%d connected", got)
	}
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	heap1, rss1 := memNow()
	if path := os.Getenv("WSLOOP_IDLE_HEAPPROFILE"); path != "" {
		// A heap profile taken while the connections are open (with
		// -memprofilerate=1 it accounts every byte).
		if f, err := os.Create(path); err == nil {
			_ = pprof.WriteHeapProfile(f)
			_ = f.Close()
		}
	}
	per := func(v int64) float64 { return float64(v) / float64(n) }
	return idleFigures{
		heap: per(heap1 - heap0), rss: per(rss1 - rss0),
		alloc: per(int64(ms1.TotalAlloc - ms0.TotalAlloc)), mallocs: per(int64(ms1.Mallocs - ms0.Mallocs)),
	}
}

// memNow returns the live heap after a GC and the process's RSS.
func memNow() (heap, rss int64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc), rssBytes()
}

func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
