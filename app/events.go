package app

import "github.com/idpsync/idpsync/internal/backend"

// Events names the events the app emits and their payloads, so that the frontend's payload types
// are generated from these Go structs instead of written again in TypeScript: Wails generates
// the types a bound method returns, and an event's payload is returned by nothing else. The
// value's fields are the events' names; the screens read only its type.
type Events struct {
	Progress   backend.Progress       `json:"sync:progress"`
	Done       backend.RunSummary     `json:"sync:done"`
	Applied    Applied                `json:"sync:applied"`
	DeviceCode backend.DeviceCode     `json:"auth:devicecode"`
	Schedule   backend.ScheduleNotice `json:"sync:schedule"`
}

// Events returns the zero Events: it is bound for its type (the payloads of every event).
func (s *AppService) Events() (Events, error) { return Events{}, nil }
