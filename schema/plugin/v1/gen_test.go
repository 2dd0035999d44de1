package pluginv1

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsCurrent regenerates plugin.proto into a temporary
// directory with the pinned generators and compares it with the committed
// files.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("protoc is not installed (apt-get install protobuf-compiler); .ci/run installs it")
		}
		t.Skip("protoc not installed: cannot check the generated code (CI checks it)")
	}
	dir := t.TempDir()
	tools := filepath.Join(dir, "tools")
	build := exec.Command("go", "build", "-o", tools+string(filepath.Separator),
		"google.golang.org/protobuf/cmd/protoc-gen-go", "google.golang.org/grpc/cmd/protoc-gen-go-grpc")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building generators: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	gen := exec.Command(protoc,
		"--plugin=protoc-gen-go="+filepath.Join(tools, "protoc-gen-go"),
		"--plugin=protoc-gen-go-grpc="+filepath.Join(tools, "protoc-gen-go-grpc"),
		"--go_out="+out, "--go_opt=paths=source_relative",
		"--go-grpc_out="+out, "--go-grpc_opt=paths=source_relative",
		"plugin.proto")
	if b, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, b)
	}
	for _, f := range []string{"plugin.pb.go", "plugin_grpc.pb.go"} {
		want, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `make generate` and commit the result", f)
		}
	}
}
