package app

import (
	"context"

	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/demomode"
)

// demoOptions are the options main gives the app under IDPSYNC_DEMO=1, on home.
func demoOptions(home string, setup bool) Options {
	cfg := config.Config{Home: home, Demo: true, DemoSetup: setup}
	return Options{Config: cfg, StartDemo: func(ctx context.Context, em backend.Emitter) (*backend.Backend, DemoTenant, error) {
		s, err := demomode.StartGUI(ctx, cfg, em)
		if err != nil {
			return nil, nil, err
		}
		return s.Backend, s, nil
	}}
}
