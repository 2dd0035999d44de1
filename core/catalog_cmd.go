package core

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/switchboard-rt/switchboard/core/catalog"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/internal/pluginhost"
	"github.com/switchboard-rt/switchboard/core/metrics"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// Catalog starts cfg's plugins just long enough to read their event types
// and returns the AsyncAPI 3 document. The plugins get a temporary data
// directory, so a running node is not disturbed.
func Catalog(ctx context.Context, cfg *config.Config, log *slog.Logger) ([]byte, error) {
	return CatalogAs(ctx, cfg, log, "asyncapi")
}

// CatalogFormats are the formats of CatalogAs.
var CatalogFormats = []string{"asyncapi", "typescript"}

// CatalogAs is Catalog in format: "asyncapi" (AsyncAPI 3 YAML) or
// "typescript" (payload types and an event type → payload map, see
// catalog.TypeScript).
func CatalogAs(ctx context.Context, cfg *config.Config, log *slog.Logger, format string) ([]byte, error) {
	var render func([]*pluginv1.GetInfoResponse) []byte
	switch format {
	case "asyncapi":
		render = catalog.Document
	case "typescript":
		render = catalog.TypeScript
	default:
		return nil, fmt.Errorf("core: catalog: unknown format %q (want %s)", format, strings.Join(CatalogFormats, " or "))
	}
	if len(cfg.Plugins) == 0 {
		return render(nil), nil
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
	return render(h.Infos()), nil
}
