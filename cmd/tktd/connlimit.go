package main

import (
	"container/list"
	"net"
	"net/http"
	"sync"
)

// connLimit bounds a server's open connections. Each one costs a file
// descriptor and tens of KiB of buffers and stack; without a bound, one
// client opening keep-alive connections exhausts the descriptors and
// nobody else is served. At the bound a new connection closes the one that
// has waited longest without a request in progress (idle between requests,
// or new and still sending its first header), so that a new client is
// still served and a holder of many idle connections loses the oldest of
// them. When every connection is busy with a request, the new one is
// closed: those requests end by themselves, bounded by the server's
// timeouts.
//
// It works from http.Server.ConnState, so it sees what net/http sees: a
// hijacked connection (a WebSocket through the gate) is no longer counted.
type connLimit struct {
	max int

	mu      sync.Mutex
	open    int                        // connections counted, in any state
	waiting *list.List                 // conns with no request in progress, longest waiting first
	where   map[net.Conn]*list.Element // their places in waiting
	shed    func(reason string)        // counts a closed connection by why; may be nil
}

func newConnLimit(max int, shed func(reason string)) *connLimit {
	return &connLimit{max: max, waiting: list.New(), where: map[net.Conn]*list.Element{}, shed: shed}
}

// Reasons a connection is closed by the limit, for the metrics.
const (
	shedIdle = "idle" // the longest-waiting connection made room
	shedBusy = "busy" // every connection had a request in progress
)

// track is the http.Server.ConnState hook.
func (l *connLimit) track(c net.Conn, s http.ConnState) {
	var victim net.Conn
	reason := ""
	l.mu.Lock()
	switch s {
	case http.StateNew:
		l.open++
		l.wait(c)
		if l.open > l.max {
			// The front of the list has waited longest; it is the new
			// connection itself only when every other one is busy.
			e := l.waiting.Front()
			victim = e.Value.(net.Conn)
			l.unwait(victim)
			reason = shedIdle
			if victim == c {
				reason = shedBusy
			}
		}
	case http.StateIdle:
		l.wait(c)
	case http.StateActive:
		l.unwait(c)
	case http.StateHijacked, http.StateClosed:
		l.unwait(c)
		l.open--
	}
	l.mu.Unlock()
	if victim != nil {
		// Its server goroutine sees the close and reports StateClosed,
		// which is when it stops being counted.
		victim.Close()
		if l.shed != nil {
			l.shed(reason)
		}
	}
}

func (l *connLimit) wait(c net.Conn) {
	if _, ok := l.where[c]; !ok {
		l.where[c] = l.waiting.PushBack(c)
	}
}

func (l *connLimit) unwait(c net.Conn) {
	if e, ok := l.where[c]; ok {
		l.waiting.Remove(e)
		delete(l.where, c)
	}
}

// defaultMaxConnections derives the bound from the process's limit on
// open files, nofile: three quarters of it for the portal, leaving the
// rest to its stores, files and logs; half of that for the gate, which
// opens a connection to the application for each client connection. It is
// at most maxDefaultConnections, about 350 MiB of connection buffers and
// stacks, so that a large limit does not turn into a large heap.
func defaultMaxConnections(nofile uint64, gate bool) int {
	n := nofile * 3 / 4
	if gate {
		n /= 2
	}
	return int(min(max(n, minDefaultConnections), maxDefaultConnections))
}

const (
	minDefaultConnections = 64
	maxDefaultConnections = 16384
)
