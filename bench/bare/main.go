// Command bare is the baseline of bench/run.sh: a bare net/http server
// that answers every request with 200 "ok", so the benchmark can show
// what tktd costs on top of Go's HTTP stack on the same machine.
//
//	bare -listen 127.0.0.1:0 -addr-file FILE   serve; write the bound address to FILE
//	bare -free-ports N                         print N distinct free loopback ports
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "listen on `ADDR` (port 0 picks a free one)")
	addrFile := flag.String("addr-file", "", "write the bound address to `FILE` once listening")
	freePorts := flag.Int("free-ports", 0, "print `N` free 127.0.0.1 ports, one a line, and exit")
	flag.Parse()
	if *freePorts > 0 {
		if err := printFreePorts(*freePorts); err != nil {
			log.Fatal(err)
		}
		return
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		log.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("bare: %s is not a loopback address", *listen)
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		// Written whole, then renamed, so a reader never sees half of it.
		tmp := *addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(l.Addr().String()+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, *addrFile); err != nil {
			log.Fatal(err)
		}
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("ok"))
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Fatal(srv.Serve(l))
}

// printFreePorts holds all n listeners open at once, so the ports differ,
// then releases them for the caller's servers.
func printFreePorts(n int) error {
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		ports = append(ports, fmt.Sprint(l.Addr().(*net.TCPAddr).Port))
	}
	fmt.Println(strings.Join(ports, "\n"))
	return nil
}
