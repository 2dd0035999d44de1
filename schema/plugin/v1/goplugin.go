package pluginv1

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ProtocolVersion is the go-plugin protocol version of switchboard.plugin.v1.
// Bump it (and keep serving the old one through VersionedPlugins) when the
// protocol changes incompatibly.
const ProtocolVersion = 1

// PluginName is the name the plugin is dispensed under.
const PluginName = "switchboard"

// Handshake keeps other programs from being started as plugins by mistake;
// it is not a security measure.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "SWITCHBOARD_PLUGIN",
	MagicCookieValue: "d8a3c0f2-rooms-and-events",
}

// GRPCPlugin is the go-plugin glue for both sides: a plugin sets Impl; the
// host leaves it nil and dispenses a *Client.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl PluginServer
	// OnBroker, on the plugin side, receives the broker so the plugin can
	// dial the Host service.
	OnBroker func(*plugin.GRPCBroker)
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// Client is what the host dispenses: the Plugin service client and the
// broker for serving Host to the plugin.
type Client struct {
	PluginClient
	Broker *plugin.GRPCBroker
}

// GRPCServer registers Impl.
func (p *GRPCPlugin) GRPCServer(b *plugin.GRPCBroker, s *grpc.Server) error {
	if p.OnBroker != nil {
		p.OnBroker(b)
	}
	RegisterPluginServer(s, p.Impl)
	return nil
}

// GRPCClient wraps the connection for the host.
func (p *GRPCPlugin) GRPCClient(_ context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{PluginClient: NewPluginClient(c), Broker: b}, nil
}
