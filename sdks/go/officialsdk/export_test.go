package officialsdk

// TrackedServers is how many tracked servers have not been collected yet.
func TrackedServers() int { return trackers.Len() }
