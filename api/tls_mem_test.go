package api_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/wsloop/wsloop/api"
)

// Server processes for BenchmarkTLSServers. The test binary re-executes
// itself with WSLOOP_TLS_SERVE=wsloop|std and runs TestTLSServerProcess,
// which then serves wss:// echo on 127.0.0.1 until its stdin closes,
// printing "ADDR host:port" and answering "stats" with
// "STATS <heap in use> <RSS bytes> <CPU ticks>" (after a GC).

// selfSignedP256 is an ECDSA P-256 certificate for 127.0.0.1.
func selfSignedP256() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// serveWsloop runs the wsloop echo server; it returns its address and a stop function.
func serveWsloop(loops int) (string, func(), error) {
	cert, err := selfSignedP256()
	if err != nil {
		return "", nil, err
	}
	var srv *api.Server
	srv = api.New(api.Config{LocalHost: "127.0.0.1", EventLoops: loops, BufferMessage: true,
		TLS: &api.TLSConfig{Enabled: true, Certificate: &cert}}, api.Events{
		OnDataIn: func(e *api.DataInEvent) { _ = srv.SendMessage(e.ConnectionID, e.DataFormat, e.Data) },
	})
	if err := srv.Listen(); err != nil {
		return "", nil, err
	}
	return srv.Addr(), func() { _ = srv.Shutdown(context.Background()) }, nil
}

// serveStd runs crypto/tls with a goroutine per connection and gobwas/ws's
// blocking upgrader and reader: the usual Go design.
func serveStd() (string, func(), error) {
	cert, err := selfSignedP256()
	if err != nil {
		return "", nil, err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		return "", nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := ws.Upgrade(c); err != nil {
					return
				}
				for {
					msg, op, err := wsutil.ReadClientData(c)
					if err != nil {
						return
					}
					if err := wsutil.WriteServerMessage(c, op, msg); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() { ln.Close() }, nil
}

// procStats reads this process's RSS and CPU time after a GC.
func procStats() (heap uint64, rss int64, ticks int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
				rss = kb << 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks = u + st
	}
	return ms.HeapInuse, rss, ticks
}

// TestTLSServerProcess is the child process of BenchmarkTLSServers. Run
// directly, it checks that both servers echo over wss://.
func TestTLSServerProcess(t *testing.T) {
	kind := os.Getenv("WSLOOP_TLS_SERVE")
	if kind == "" {
		for _, serve := range []func() (string, func(), error){func() (string, func(), error) { return serveWsloop(1) }, serveStd} {
			addr, stop, err := serve()
			if err != nil {
				t.Fatal(err)
			}
			c := mustDialWSS(t, "wss://"+addr+"/", &tls.Config{InsecureSkipVerify: true})
			roundTrip(t, c, randBytes(t, 16384))
			c.Close()
			stop()
		}
		return
	}
	serve := serveStd
	if kind == "wsloop" {
		serve = func() (string, func(), error) { return serveWsloop(1) }
	}
	addr, stop, err := serve()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	fmt.Printf("ADDR %s\n", addr)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		heap, rss, ticks := procStats()
		fmt.Printf("STATS %d %d %d\n", heap, rss, ticks)
	}
}

// serverProc is a running child server.
type serverProc struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	addr string
}

func startServerProc(b *testing.B, kind string) *serverProc {
	cmd := exec.Command(os.Args[0], "-test.run=^TestTLSServerProcess$", "-test.v=false")
	cmd.Env = append(os.Environ(), "WSLOOP_TLS_SERVE="+kind, "GOMAXPROCS=1")
	in, _ := cmd.StdinPipe()
	outPipe, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &serverProc{cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	for p.out.Scan() {
		if addr, ok := strings.CutPrefix(p.out.Text(), "ADDR "); ok {
			p.addr = addr
			return p
		}
	}
	b.Fatalf("%s server did not start", kind)
	return nil
}

func (p *serverProc) stats(b *testing.B) (heap, rss, ticks int64) {
	fmt.Fprintln(p.in, "stats")
	for p.out.Scan() {
		if f, ok := strings.CutPrefix(p.out.Text(), "STATS "); ok {
			v := strings.Fields(f)
			heap, _ = strconv.ParseInt(v[0], 10, 64)
			rss, _ = strconv.ParseInt(v[1], 10, 64)
			ticks, _ = strconv.ParseInt(v[2], 10, 64)
			return
		}
	}
	b.Fatal("no stats from the server process")
	return
}

func (p *serverProc) stop() {
	p.in.Close()
	_ = p.cmd.Wait()
}

// dialFrom opens a wss connection from source address 127.0.0.<src>.
func dialFrom(addr string, src int) (*wssConn, error) {
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(src))}, Timeout: 10 * time.Second}
	d := ws.Dialer{Timeout: 10 * time.Second, NetDial: func(ctx context.Context, network, a string) (net.Conn, error) {
		return nd.DialContext(ctx, network, a)
	}, TLSConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519}}}
	nc, br, _, err := d.Dial(context.Background(), "wss://"+addr+"/")
	if err != nil {
		return nil, err
	}
	c := &wssConn{Conn: nc, r: nc}
	if br != nil {
		c.r = io.MultiReader(br, nc)
	}
	return c, nil
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkTLSServers compares the wsloop wss:// server with crypto/tls and
// a goroutine per connection, each in its own process on one core
// (GOMAXPROCS=1): server CPU per handshake (WSLOOP_TLS_HANDSHAKES
// connect+handshake+upgrade+16 B echo+close cycles, default 2000), then
// heap and RSS per idle connection after WSLOOP_TLS_CONNS connections
// (default 2000; the figure uses 10000) each exchanged one 16 KiB
// message. Clients run in this process from 127.0.0.1..127.0.0.4, TLS 1.3,
// ECDSA P-256. Run with -benchtime=1x.
func BenchmarkTLSServers(b *testing.B) {
	handshakes := envInt("WSLOOP_TLS_HANDSHAKES", 2000)
	conns := envInt("WSLOOP_TLS_CONNS", 2000)
	for _, kind := range []string{"wsloop", "std"} {
		b.Run(kind, func(b *testing.B) {
			p := startServerProc(b, kind)
			defer p.stop()
			msg := make([]byte, 16)
			_, _, t0 := p.stats(b)
			err := runJobs(handshakes, 8, func(i int) error {
				c, err := dialFrom(p.addr, 1+i%4)
				if err != nil {
					return err
				}
				defer c.Close()
				if err := wsutil.WriteClientBinary(c, msg); err != nil {
					return err
				}
				_, _, err = wsutil.ReadServerData(c)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			_, _, t1 := p.stats(b)
			cpuPer := float64(t1-t0) * 10 / float64(handshakes) // 100 ticks per second: ms
			b.ReportMetric(cpuPer*1000, "server-µs-cpu/handshake")

			time.Sleep(500 * time.Millisecond) // let closed connections go
			h0, r0, _ := p.stats(b)
			big := make([]byte, 16384)
			open := make([]*wssConn, conns)
			err = runJobs(conns, 16, func(i int) error {
				c, err := dialFrom(p.addr, 1+i%4)
				if err != nil {
					return err
				}
				open[i] = c
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				if err := wsutil.WriteClientBinary(c, big); err != nil {
					return err
				}
				_, _, err = wsutil.ReadServerData(c)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			time.Sleep(time.Second)
			h1, r1, _ := p.stats(b)
			b.ReportMetric(float64(h1-h0)/float64(conns), "server-heapB/conn")
			b.ReportMetric(float64(r1-r0)/float64(conns), "server-rssB/conn")
			b.Logf("%s: %d handshakes, %.3f ms server CPU each; %d idle conns after 16 KiB: heap %.0f B/conn, RSS %.0f B/conn (RSS %d -> %d MB)",
				kind, handshakes, cpuPer, conns, float64(h1-h0)/float64(conns), float64(r1-r0)/float64(conns), r0>>20, r1>>20)
			for _, c := range open {
				if c != nil {
					c.Close()
				}
			}
		})
	}
}

// runJobs runs job(0..n-1) on the given number of goroutines and returns
// the first error.
func runJobs(n, workers int, job func(i int) error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	jobs := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				if err := job(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return first
}
