package mcpsight

import (
	goruntime "runtime"
	"sync"
	"weak"
)

// Trackers maps the servers of one library to their trackers without keeping a server alive:
// an entry goes once its server is garbage collected, so that servers built and tracked per
// request (a stateless handler's server factory) are freed once served, as untracked ones are.
type Trackers[S any] struct {
	m sync.Map // weak.Pointer[S] → *Tracker
}

// Load returns server's tracker; nil when it is not tracked.
func (r *Trackers[S]) Load(server *S) *Tracker {
	if v, ok := r.m.Load(weak.Make(server)); ok {
		return v.(*Tracker)
	}
	return nil
}

// Add tracks server with the tracker create returns. A server tracked already keeps its tracker,
// whose delivery resumes if Shutdown stopped it; added is then false.
func (r *Trackers[S]) Add(server *S, create func() (*Tracker, error)) (t *Tracker, added bool, err error) {
	key := weak.Make(server)
	v, tracked := r.m.Load(key)
	if !tracked {
		created, err := create()
		if err != nil {
			return nil, false, err
		}
		if v, tracked = r.m.LoadOrStore(key, created); !tracked {
			goruntime.AddCleanup(server, func(key weak.Pointer[S]) { r.m.Delete(key) }, key)
			return created, true, nil
		}
	}
	t = v.(*Tracker)
	t.Resume()
	return t, false, nil
}

// Len is how many tracked servers have not been collected yet.
func (r *Trackers[S]) Len() int {
	n := 0
	r.m.Range(func(any, any) bool {
		n++
		return true
	})
	return n
}
