package main

import (
	"balance/repository"
	"balance/service/interactive"
)

// myRuns is the cabinet's view of a client's self-help runs.
func (a *app) myRuns() *interactive.History {
	return interactive.NewHistory(repository.NewInteractiveRuns(a.db))
}
