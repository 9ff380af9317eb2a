package main

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// closeUnreadBody ends the connection after any answer written before the
// request's body was read to its end. net/http would otherwise read and
// discard the rest of the body (up to 256 KiB) before it sends the answer,
// to keep the connection for another request: a client that announces a
// body and never sends it then holds the connection, and never gets the
// answer, until the read deadline, and forever where there is none. The
// answer goes out at once with "Connection: close", and the read deadline
// is expired so that the server does not wait for the body afterwards
// either. Requests without a body (nearly all: every /auth question)
// pass untouched. HTTP/2 multiplexes streams and needs none of this.
func closeUnreadBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 1 || r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		b := &eofBody{ReadCloser: r.Body}
		r.Body = b
		h.ServeHTTP(&unreadBodyWriter{ResponseWriter: w, body: b}, r)
	})
}

// eofBody notes whether a request body has been read to its end.
type eofBody struct {
	io.ReadCloser
	eof atomic.Bool // read by the writer, which may run on another goroutine (the gate's proxy)
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof.Store(true)
	}
	return n, err
}

// unreadBodyWriter closes the connection when the answer starts before
// the body was read.
type unreadBodyWriter struct {
	http.ResponseWriter
	body    *eofBody
	started bool
}

func (w *unreadBodyWriter) WriteHeader(code int) {
	w.start(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *unreadBodyWriter) Write(b []byte) (int, error) {
	w.start(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

func (w *unreadBodyWriter) start(code int) {
	// 1xx answers (100 Continue) come before the body by design.
	if w.started || code < 200 {
		return
	}
	w.started = true
	if !w.body.eof.Load() {
		w.Header().Set("Connection", "close")
		http.NewResponseController(w.ResponseWriter).SetReadDeadline(time.Now())
	}
}

// Unwrap lets http.ResponseController reach the connection (flush,
// deadlines, hijack).
func (w *unreadBodyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
