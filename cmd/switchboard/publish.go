package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// publishTimeout bounds the whole publish call.
const publishTimeout = 30 * time.Second

func cmdPublish(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("publish", "ROOM[,ROOM...] TYPE JSON", stdout, stderr)
	base := fs.String("url", defaultURL(), "server base URL (default $SWITCHBOARD_URL, else "+fallbackURL+")")
	key := fs.String("api-key", "", "publisher API key, sent as X-Api-Key (default $SWITCHBOARD_API_KEY)")
	id := fs.String("id", "", "event id; publishing the same id again is a no-op (idempotent)")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() != 3 {
		return usageErr(fs, "want ROOM TYPE JSON, got %d arguments", fs.NArg())
	}
	if *key == "" {
		*key = os.Getenv("SWITCHBOARD_API_KEY")
	}
	if *key == "" {
		return usageErr(fs, "--api-key (or $SWITCHBOARD_API_KEY) is required")
	}
	var rooms []string
	for r := range strings.SplitSeq(fs.Arg(0), ",") {
		if r = strings.TrimSpace(r); r != "" {
			rooms = append(rooms, r)
		}
	}
	if len(rooms) == 0 {
		return usageErr(fs, "ROOM is empty")
	}
	data := []byte(fs.Arg(2))
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return usageErr(fs, "JSON argument %q is not valid JSON: %v", fs.Arg(2), err)
	}
	u, err := url.Parse(strings.TrimRight(*base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr(fs, "--url: want an http or https URL, got %q", *base)
	}
	u.Path += "/v1/publish"

	body, _ := json.Marshal(struct {
		Rooms []string        `json:"rooms"`
		Type  string          `json:"type"`
		Data  json.RawMessage `json:"data"`
		ID    string          `json:"id,omitempty"`
	}{rooms, fs.Arg(1), data, *id})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "switchboard publish: %v\n", err)
		return exitFail
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", *key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard publish: %v\n", err)
		return exitFail
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		fmt.Fprintf(stderr, "switchboard publish: reading answer: %v\n", err)
		return exitFail
	}
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "switchboard publish: %s\n", httpError(resp.StatusCode, bytes.NewReader(answer)))
		return exitFail
	}
	var line bytes.Buffer
	if err := json.Compact(&line, answer); err != nil {
		fmt.Fprintf(stderr, "switchboard publish: server answered with invalid JSON %q\n", answer)
		return exitFail
	}
	line.WriteByte('\n')
	_, _ = stdout.Write(line.Bytes())
	return exitOK
}
