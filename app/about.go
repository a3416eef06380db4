package app

import (
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/store"
	"github.com/idpsync/idpsync/internal/version"
)

// ProductName is how the app names itself in the window title and the screens.
const ProductName = "IdP Sync"

// AppService answers questions about the app itself (the About dialog, diagnostics).
type AppService struct {
	env  *env
	core *core
}

// AboutInfo is shown in the About dialog.
type AboutInfo struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Platform string `json:"platform"` // GOOS/GOARCH
	// DataDir is where local state lives: os.UserConfigDir()/idpsync, IDPSYNC_HOME, or in demo
	// mode the demo's folder.
	DataDir string `json:"dataDir"`
	Demo    bool   `json:"demo"`
}

// About describes this build.
func (s *AppService) About() (AboutInfo, error) {
	return call("About", func() (AboutInfo, error) {
		dir, err := s.dataDir()
		if err != nil {
			return AboutInfo{}, err
		}
		return AboutInfo{
			Name:     ProductName,
			Version:  version.String(),
			Platform: runtime.GOOS + "/" + runtime.GOARCH,
			DataDir:  dir,
			Demo:     s.env.opts.Config.Demo,
		}, nil
	})
}

// PingReply proves a round trip through the backend.
type PingReply struct {
	Echo       string `json:"echo"`
	ReceivedAt string `json:"receivedAt"` // RFC 3339, UTC
}

// maxPing bounds what the diagnostics box accepts; it is a round-trip check, not a transport.
const maxPing = 200

// Ping echoes message back. It is the About dialog's "check the backend answers" action and
// the end-to-end test's probe of the binding layer, including its coded errors.
func (s *AppService) Ping(message string) (PingReply, error) {
	return call("Ping", func() (PingReply, error) {
		message = strings.TrimSpace(message)
		switch {
		case message == "":
			return PingReply{}, apperr.New(apperr.InvalidInput, "the message is empty").
				WithAction("Type a few characters to send to the backend.")
		case utf8.RuneCountInString(message) > maxPing:
			return PingReply{}, apperr.New(apperr.InvalidInput, "the message is longer than %d characters", maxPing).
				WithAction("Shorten the message.")
		}
		return PingReply{Echo: message, ReceivedAt: time.Now().UTC().Format(time.RFC3339)}, nil
	})
}

// dataDir is the folder the backend keeps its state in: in demo mode the demo's own, which is
// never the configured one when that holds real directories (About once showed IDPSYNC_HOME
// there). Outside demo mode it is known without opening the store.
func (s *AppService) dataDir() (string, error) {
	if !s.env.opts.Config.Demo {
		return store.Home(s.env.opts.Config.Home)
	}
	b, err := s.core.backend()
	if err != nil {
		return "", err
	}
	return b.Home(), nil
}
