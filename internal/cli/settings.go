package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
)

func init() {
	Register(Command{
		Name:    "settings",
		Usage:   "idpsync settings get --directory NAME | set --directory NAME [--file PATH]",
		Summary: "print or change a directory's sync settings as JSON, validated as the Sync settings screen validates them",
		Subs: []Sub{
			{Name: "get", Args: "--directory NAME", Text: `Print the sync settings: {"version":1,"kind":"settings","settings":{…}}.`},
			{Name: "set", Args: "--directory NAME [--file PATH]", Text: `Read settings JSON from PATH or standard input: the document get prints, or just its
"settings" object, or only the fields to change. Fields not given keep their value;
an unknown field, a bad value or malformed JSON is refused and nothing is saved.`},
		},
		Flags: func(fs *flag.FlagSet) { new(settingsArgs).register(fs) },
		Run:   runSettings,
	})
}

// settingsArgs are the flags of get and set.
type settingsArgs struct{ dir, file string }

func (a *settingsArgs) register(fs *flag.FlagSet) {
	fs.StringVar(&a.dir, "directory", "", "the directory `NAME` (any case) or id")
	fs.StringVar(&a.file, "file", "", "set: read the settings JSON from `PATH` instead of standard input")
	fs.Bool("json", true, "accepted for symmetry with the other commands: the output is always JSON")
}

// maxSettingsDoc bounds the settings document read: the largest real one (a few thousand
// selected group ids of 36 characters) is well under 1 MiB.
const maxSettingsDoc = 4 << 20

func runSettings(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	var fa settingsArgs
	p, code, ok := parseDirSub("settings", "settings needs get or set", args, fa.register, &fa.dir, stdout, stderr)
	if !ok {
		return code
	}
	sub, settingsHelp, dir, file := p.sub, p.help, &fa.dir, &fa.file
	if sub == "get" && *file != "" {
		return usageFail(stderr, settingsHelp, "--file is for settings set")
	}
	b, d, code, ok := openDirectory(ctx, cfg, *dir, nil, stdout, stderr, true)
	if !ok {
		return code
	}
	defer b.Close()
	cur, err := b.Settings(ctx, d.ID)
	if err != nil {
		return failDoc(stdout, stderr, true, err)
	}
	if sub == "get" {
		return jsonExit(stdout, stderr, writeJSON(stdout, "settings", cur))
	}
	var in io.Reader = stdin
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return failDoc(stdout, stderr, true, apperr.Wrap(err, apperr.InvalidInput, "cannot read the settings file %s", *file))
		}
		defer f.Close()
		in = f
	}
	next, err := decodeSettings(in, cur)
	if err != nil {
		return failDoc(stdout, stderr, true, err)
	}
	saved, err := b.SaveSettings(ctx, d.ID, next)
	if err != nil {
		return failDoc(stdout, stderr, true, err)
	}
	return jsonExit(stdout, stderr, writeJSON(stdout, "settings", saved))
}

// decodeSettings reads a settings document onto cur: the fields it carries replace cur's.
func decodeSettings(r io.Reader, cur backend.Settings) (backend.Settings, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxSettingsDoc+1))
	if err != nil {
		return cur, apperr.Wrap(err, apperr.InvalidInput, "cannot read the settings document")
	}
	if len(raw) > maxSettingsDoc {
		return cur, apperr.New(apperr.InvalidInput, "the settings document is larger than %d bytes", maxSettingsDoc)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return cur, apperr.New(apperr.InvalidInput, "the settings document is empty").WithAction("Pass the JSON that idpsync settings get prints, changed.")
	}
	// The wrapped form {"version":1,"kind":"settings","settings":{…}} as get prints it.
	var wrapped struct {
		Version  *int            `json:"version"`
		Kind     string          `json:"kind"`
		Settings json.RawMessage `json:"settings"`
	}
	if json.Unmarshal(raw, &wrapped) == nil && wrapped.Kind != "" {
		if wrapped.Kind != "settings" || wrapped.Settings == nil {
			return cur, apperr.New(apperr.InvalidInput, "the document is a %q, not settings", wrapped.Kind)
		}
		if wrapped.Version != nil && *wrapped.Version != JSONVersion {
			return cur, apperr.New(apperr.InvalidInput, "the settings document is version %d; this idpsync reads version %d", *wrapped.Version, JSONVersion)
		}
		raw = wrapped.Settings
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	next := cur
	if err := dec.Decode(&next); err != nil {
		return cur, apperr.Wrap(err, apperr.InvalidInput, "the settings document is not valid: %v", err).
			WithAction("Fix the JSON (see idpsync settings get for the fields); nothing was saved.")
	}
	if dec.More() {
		return cur, apperr.New(apperr.InvalidInput, "the settings document has more than one JSON value").WithAction("Pass one JSON object; nothing was saved.")
	}
	return next, nil
}
