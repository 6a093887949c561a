package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"

	"github.com/codelibs/recotem-go/pkg/algo/catalog"
	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/env"
	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/logx"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/source"
)

// Flags are the command-line settings of `recotem serve`.
type Flags struct {
	RecipesDir string
	// Host and Port override RECOTEM_HOST and RECOTEM_PORT when set.
	Host string
	Port int
	// Insecure is --insecure-no-auth; DevUnsigned is --dev-allow-unsigned,
	// which needs Understand (--i-understand-this-loads-arbitrary-code).
	Insecure    bool
	DevUnsigned bool
	Understand  bool
}

// Main runs `recotem serve` until SIGTERM/SIGINT or ctx ends, in the
// reference's order of start-up checks (recipe-and-cli.md §2.3). Errors
// carry their exit code: 8 for configuration and bind failures, 5 for
// malformed signing keys.
func Main(ctx context.Context, f Flags, getenv env.Getenv, stderr io.Writer) error {
	if f.DevUnsigned && !f.Understand {
		return exitcode.New(exitcode.Config, "--dev-allow-unsigned requires --i-understand-this-loads-arbitrary-code to also be passed.")
	}
	format, err := logx.ParseFormat(getenv(logx.EnvFormat))
	if err != nil {
		return fmt.Errorf("Configuration error: %w", err)
	}
	log := logx.New(stderr, logx.Options{Format: format, Name: "recotem.serve"})
	cfg, err := ConfigFromEnv(getenv, log, f.DevUnsigned)
	if err != nil {
		if exitcode.Of(err) == exitcode.Config {
			return fmt.Errorf("Configuration error: %w", err)
		}
		return fmt.Errorf("Server startup failed: %w", err)
	}
	cfg.RecipesDir, cfg.Insecure = f.RecipesDir, f.Insecure
	if f.Host != "" {
		cfg.Host = f.Host
	}
	if f.Port != 0 {
		cfg.Port = f.Port
	}
	if err := cfg.CheckFlags(); err != nil {
		return fmt.Errorf("Server startup failed: %w", err)
	}
	if cfg.APIKeys == nil && !cfg.Insecure && cfg.Host != DefaultHost {
		log.Warn("host_forced_to_loopback", "requested_host", cfg.Host, "host", DefaultHost,
			"advice", "set RECOTEM_API_KEYS (recotem keygen --type api) to serve on other interfaces")
		cfg.Host = DefaultHost
	}
	logPosture(log, cfg)

	plugins, err := source.Discover(ctx, source.ExecPath(getenv))
	if err != nil {
		return fmt.Errorf("Server startup failed: %w", err)
	}
	ropts := recipe.LoadOptions{ValidateParams: catalog.ValidateParams, Plugins: plugins.Types()}
	loader := &Loader{
		Options: artifact.Options{Caps: cfg.Caps, Ring: cfg.Signing, SkipVerify: cfg.DevUnsigned, NoMmap: cfg.NoMmap},
		Threads: linalg.Threads(),
		Getenv:  getenv, Logger: log,
	}
	s := New(cfg, log, loader, ropts)
	s.Start(ctx)

	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EADDRNOTAVAIL) {
			return exitcode.New(exitcode.Config, "Server bind failed: %w", err)
		}
		return fmt.Errorf("Server runtime failure: %w", err)
	}
	return s.Run(ctx, ln)
}

// logPosture logs the security settings once at start-up: never key
// material, only kids and fingerprints.
func logPosture(log *slog.Logger, cfg Config) {
	var signing []string
	if cfg.Signing != nil {
		for _, k := range cfg.Signing.Keys() {
			signing = append(signing, k.Kid+"="+k.Fingerprint())
		}
	}
	var apiKids []string
	if cfg.APIKeys != nil {
		apiKids = cfg.APIKeys.Kids()
	}
	log.Info("security.posture",
		"requires_api_keys", cfg.APIKeys != nil && !cfg.Insecure, "api_kids", apiKids,
		"insecure", cfg.Insecure, "dev_allow_unsigned", cfg.DevUnsigned,
		"signing_kids", signing, "env", cfg.Env, "host", cfg.Host, "port", cfg.Port,
		"allowed_hosts", cfg.AllowedHosts, "metrics", cfg.Metrics)
	if cfg.Insecure || cfg.DevUnsigned {
		log.Warn("insecure_mode", "insecure", cfg.Insecure, "dev_allow_unsigned", cfg.DevUnsigned)
	}
}
