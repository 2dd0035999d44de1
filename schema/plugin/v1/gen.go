// Package pluginv1 is the generated Go code of the plugin protocol
// (plugin.proto). Regenerate with `make generate`; gen_test.go fails when
// the committed code is stale.
package pluginv1

//go:generate protoc --plugin=protoc-gen-go=../../../bin/tools/protoc-gen-go --plugin=protoc-gen-go-grpc=../../../bin/tools/protoc-gen-go-grpc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative plugin.proto
