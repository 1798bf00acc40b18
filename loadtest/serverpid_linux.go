package loadtest

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// warnServerPID warns on w when process pid listens on none of the TCP
// ports of targets: its RSS and CPU would then not be the server's (a wrong
// -server-pid gave figures such as "-229 B/conn").
func warnServerPID(w io.Writer, pid int, targets []string) {
	if pid <= 0 || len(targets) == 0 {
		return
	}
	var ports []string
	for _, t := range targets {
		port, err := targetPort(t)
		if err != nil {
			return // the URL's own error is reported by Run
		}
		ok, err := listensOn(pid, port)
		if err != nil {
			fmt.Fprintf(w, "loadtest: warning: cannot check that -server-pid %d listens on port %d: %v\n", pid, port, err)
			return
		}
		if ok {
			return
		}
		ports = append(ports, strconv.Itoa(port))
	}
	fmt.Fprintf(w, "loadtest: warning: -server-pid %d does not listen on port %s: its RSS and CPU are not the server's\n",
		pid, strings.Join(ports, ", "))
}

// targetPort is the TCP port a ws:// or wss:// URL connects to.
func targetPort(target string) (int, error) {
	u, err := url.Parse(target)
	if err != nil {
		return 0, err
	}
	if p := u.Port(); p != "" {
		return strconv.Atoi(p)
	}
	if u.Scheme == "wss" {
		return 443, nil
	}
	return 80, nil
}

// listensOn reports whether one of pid's descriptors is a TCP socket
// listening on port: the inodes of listening sockets with that local port
// (/proc/PID/net/tcp and tcp6) against the process's socket descriptors
// (/proc/PID/fd links "socket:[inode]").
func listensOn(pid, port int) (bool, error) {
	inodes := map[string]bool{}
	for _, f := range []string{"tcp", "tcp6"} {
		if err := listeningInodes(filepath.Join("/proc", strconv.Itoa(pid), "net", f), port, inodes); err != nil && !os.IsNotExist(err) {
			return false, err
		}
	}
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(dir, fd.Name()))
		if err != nil {
			continue
		}
		if ino, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(ino, "]")] {
			return true, nil
		}
	}
	return false, nil
}

// listeningInodes adds to inodes those of the sockets in a /proc net/tcp
// table that listen (state 0A) on port.
func listeningInodes(path string, port int, inodes map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" {
			continue
		}
		_, hexPort, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
			inodes[fields[9]] = true
		}
	}
	return sc.Err()
}
