package sdk

import (
	"context"
	"fmt"
)

// Start makes a plugin from its decoded config as the plugin process does:
// the config's Validate (if it has one), the factory, then the plugin's
// new migrations (Info.Migrations) on Host.DB. The factory should not
// touch the plugin's tables: they may not exist before the migrations.
// Serve and sdktest use it; plugins need not.
func Start[C any](ctx context.Context, cfg C, h Host, factory func(C, Host) (Plugin, error)) (Plugin, error) {
	if err := validate(&cfg); err != nil {
		return nil, err
	}
	return start(ctx, cfg, h, factory)
}

func start[C any](ctx context.Context, cfg C, h Host, factory func(C, Host) (Plugin, error)) (Plugin, error) {
	p, err := factory(cfg, h)
	if err != nil {
		return nil, err
	}
	if ms := p.Info().Migrations; len(ms) > 0 {
		db, err := h.DB(ctx)
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		if err := Migrate(ctx, db, h.Name(), ms); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Describe is the Info of p that the core receives: Name (the config
// block's name, name) and APIVersion filled in by the SDK when empty, and
// the Router's routes listed in Routes.
func Describe(p Plugin, name string) Info {
	in := p.Info()
	if in.Name == "" {
		in.Name = name
	}
	if in.APIVersion == "" {
		in.APIVersion = APIVersion1
	}
	if in.Router != nil {
		in.Routes = append(in.Router.Routes(), in.Routes...)
	}
	return in
}
