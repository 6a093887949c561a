package serve

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/env"
	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/keys"
)

// Config is the server configuration: flags layered over the environment
// (artifact-and-serving.md §6).
type Config struct {
	RecipesDir string
	Host       string
	Port       int

	// APIKeys authenticates requests; nil means no keys are configured.
	APIKeys *keys.APIRing
	// Signing verifies artifacts; nil only with DevUnsigned.
	Signing *keys.SigningRing
	// Env is RECOTEM_ENV, trimmed and lower-cased.
	Env string

	Insecure    bool // --insecure-no-auth
	DevUnsigned bool // --dev-allow-unsigned

	WatchInterval      time.Duration
	Caps               artifact.Caps
	NoMmap             bool
	AllowedHosts       []string
	AllowedOrigins     []string
	Drain              time.Duration
	StartupParallelism int // 0: min(#recipes, 8)
	Metrics            bool
	MaxBodyBytes       int64
}

// Defaults of the serve configuration.
const (
	DefaultPort         = 8080
	DefaultHost         = "127.0.0.1"
	DefaultMaxBodyBytes = 8 << 20
)

// ConfigFromEnv reads the serve environment. Errors carry exit code 8
// (a malformed RECOTEM_SIGNING_KEYS carries 5, as in the reference).
// Signing keys are required unless devUnsigned.
func ConfigFromEnv(getenv env.Getenv, log *slog.Logger, devUnsigned bool) (Config, error) {
	c := Config{
		Host:           DefaultHost,
		Port:           DefaultPort,
		Env:            strings.ToLower(strings.TrimSpace(getenv("RECOTEM_ENV"))),
		AllowedHosts:   env.List(getenv, "RECOTEM_ALLOWED_HOSTS", []string{"127.0.0.1", "localhost"}),
		AllowedOrigins: env.List(getenv, "RECOTEM_ALLOWED_ORIGINS", nil),
		Metrics:        env.Truthy(getenv, "RECOTEM_METRICS_ENABLED"),
		Drain:          time.Duration(env.Int(getenv, log, "RECOTEM_DRAIN_SECONDS", 30, 1, 300)) * time.Second,
		MaxBodyBytes:   env.Int(getenv, log, "RECOTEM_MAX_BODY_BYTES", DefaultMaxBodyBytes, 1<<10, 1<<30),
		NoMmap:         !artifact.MmapFromEnv(getenv),
		DevUnsigned:    devUnsigned,
	}
	if h := strings.TrimSpace(getenv("RECOTEM_HOST")); h != "" {
		c.Host = h
	}
	if p := strings.TrimSpace(getenv("RECOTEM_PORT")); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return c, exitcode.New(exitcode.Config, "RECOTEM_PORT must be an integer in 1..65535, got '%s'", p)
		}
		c.Port = port
	}
	w, err := env.Float(getenv, "RECOTEM_WATCH_INTERVAL", 5, 1, 30)
	if err != nil {
		return c, exitcode.Wrap(exitcode.Config, err)
	}
	c.WatchInterval = time.Duration(w * float64(time.Second))
	if strings.TrimSpace(getenv("RECOTEM_STARTUP_PARALLELISM")) != "" {
		c.StartupParallelism = int(env.Int(getenv, log, "RECOTEM_STARTUP_PARALLELISM", 8, 1, 32))
	}
	if c.Caps, err = artifact.CapsFromEnv(getenv, log); err != nil {
		return c, err
	}
	if raw := getenv("RECOTEM_API_KEYS"); strings.TrimSpace(raw) != "" {
		ring, err := keys.ParseAPI(raw)
		if err != nil {
			return c, exitcode.Wrap(exitcode.Config, err)
		}
		c.APIKeys = ring
	}
	if !devUnsigned {
		if c.Signing, err = keys.ParseSigning(getenv(keys.EnvSigning)); err != nil {
			return c, err
		}
	}
	return c, nil
}

// CheckFlags enforces the RECOTEM_ENV gates of --insecure-no-auth
// (development, dev or test) and --dev-allow-unsigned (development).
func (c Config) CheckFlags() error {
	if c.Insecure && c.Env != "development" && c.Env != "dev" && c.Env != "test" {
		return exitcode.New(exitcode.Config, "--insecure-no-auth requires RECOTEM_ENV to be development, dev or test (got '%s')", c.Env)
	}
	if c.DevUnsigned && c.Env != "development" {
		return exitcode.New(exitcode.Config, "--dev-allow-unsigned requires RECOTEM_ENV=development (got '%s')", c.Env)
	}
	return nil
}

// Addr returns host:port.
func (c Config) Addr() string {
	host := c.Host
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s:%d", host, c.Port)
}
