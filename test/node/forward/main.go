// Command forward passes TCP connections from listen addresses to targets, so that
// pods on the node's pod network reach the API server and cloudsim, which listen on
// loopback only. It binds with IP_FREEBIND: the pod network's host address exists
// only once the first pod's link is up.
//
// usage: forward LISTEN=TARGET...   e.g. forward 198.18.0.1:16443=127.0.0.1:16443
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: forward LISTEN=TARGET...")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_FREEBIND, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	for _, arg := range os.Args[1:] {
		listen, target, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "forward: want LISTEN=TARGET, got", arg)
			os.Exit(2)
		}
		// Only ever forward to loopback: nothing the node does may leave the machine.
		if host, _, err := net.SplitHostPort(target); err != nil || !net.ParseIP(host).IsLoopback() {
			fmt.Fprintln(os.Stderr, "forward: target must be a loopback address:port, got", target)
			os.Exit(2)
		}
		ln, err := lc.Listen(ctx, "tcp4", listen)
		if err != nil {
			fmt.Fprintln(os.Stderr, "forward:", err)
			os.Exit(1)
		}
		go serve(ln, target)
	}
	<-ctx.Done()
}

func serve(ln net.Listener, target string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go pipe(c, target)
	}
}

func pipe(c net.Conn, target string) {
	defer c.Close()
	t, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer t.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(t, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, t); done <- struct{}{} }()
	<-done
}
