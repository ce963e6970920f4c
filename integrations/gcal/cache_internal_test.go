package gcal

import (
	"testing"
	"time"
)

func TestCacheDropsAnswersFetchedBeforeAWrite(t *testing.T) {
	t.Parallel()
	c := newBusyCache(time.Minute, 4)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	w := newWindow(now, now.Add(time.Hour))
	_, ok, gen := c.get(w, now)
	if ok {
		t.Fatal("empty cache answered")
	}
	c.invalidate() // an event was created while free/busy was being asked
	c.put(w, []Interval{{now, now.Add(time.Minute)}}, now, gen)
	if _, ok, _ := c.get(w, now); ok || c.len() != 0 {
		t.Fatal("an answer older than the write was cached")
	}
	_, _, gen = c.get(w, now)
	c.put(w, nil, now, gen)
	if _, ok, _ := c.get(newWindow(now.In(time.FixedZone("X", 3600)), now.Add(time.Hour)), now); !ok {
		t.Fatal("the same instants in another zone missed the cache")
	}
}
