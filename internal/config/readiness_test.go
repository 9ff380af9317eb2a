package config

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAtMostEvery(t *testing.T) {
	var runs atomic.Int32
	fail := errors.New("down")
	release := make(chan struct{})
	check := atMostEvery(50*time.Millisecond, func(context.Context) error {
		runs.Add(1)
		<-release
		return fail
	})
	// Ten callers at once: one probe, one answer for all.
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := check(context.Background()); !errors.Is(err, fail) {
				t.Errorf("shared result: %v", err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Errorf("%d probes for 10 callers at once, want 1", n)
	}
	time.Sleep(60 * time.Millisecond)
	_ = check(context.Background())
	if n := runs.Load(); n != 2 {
		t.Errorf("%d probes after the interval, want 2", n)
	}

	// A caller that gives up is not held, and its cut-short result is not
	// kept for others.
	slow := atMostEvery(time.Hour, func(ctx context.Context) error {
		runs.Add(1)
		<-ctx.Done()
		return ctx.Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_ = slow(ctx)
	before := runs.Load()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	_ = slow(ctx2)
	if runs.Load() != before+1 {
		t.Error("a result cut short by its caller was kept")
	}
}
