package core

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/switchboard-rt/switchboard/core/catalog"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/internal/pluginhost"
	"github.com/switchboard-rt/switchboard/core/metrics"
)

// Catalog starts cfg's plugins just long enough to read their event types
// and returns the AsyncAPI 3 document. The plugins get a temporary data
// directory, so a running node is not disturbed.
func Catalog(ctx context.Context, cfg *config.Config, log *slog.Logger) ([]byte, error) {
	if len(cfg.Plugins) == 0 {
		return catalog.Document(nil), nil
	}
	dir, err := os.MkdirTemp("", "switchboard-catalog-")
	if err != nil {
		return nil, fmt.Errorf("core: catalog: %w", err)
	}
	defer os.RemoveAll(dir)
	h := pluginhost.New(pluginhost.Options{Plugins: cfg.Plugins, DataDir: dir, Metrics: metrics.New(), Logger: log})
	if err := h.Start(ctx); err != nil {
		return nil, err
	}
	defer h.Close(ctx)
	return catalog.Document(h.Infos()), nil
}
