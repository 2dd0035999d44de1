package sbclient

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Block is one block of an SSE stream, up to the blank line that ends it
// (docs/PROTOCOL.md §4). Comment-only blocks (": keepalive") come back with
// only Comment set.
type Block struct {
	ID      string // the id: field; HasID tells an empty id from none
	HasID   bool
	Event   string // the event: field
	Data    string // the data: lines joined by "\n"
	Retry   string // the retry: field
	Comment string // the last comment line, without the colon
}

// BlockReader reads the blocks of an SSE stream.
type BlockReader struct{ br *bufio.Reader }

// NewBlockReader reads blocks from r.
func NewBlockReader(r io.Reader) *BlockReader {
	return &BlockReader{br: bufio.NewReaderSize(r, 4096)}
}

// Buffered is how many bytes are read from the stream but not yet parsed.
func (r *BlockReader) Buffered() int { return r.br.Buffered() }

// Next returns the next non-empty block.
func (r *BlockReader) Next() (Block, error) {
	var b Block
	var data []string
	empty := true
	for {
		line, err := r.br.ReadString('\n')
		if err != nil {
			if err == io.EOF && line == "" {
				return b, io.EOF
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return b, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if empty {
				continue
			}
			b.Data = strings.Join(data, "\n")
			return b, nil
		}
		empty = false
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			b.Comment = value
		case "id":
			b.ID, b.HasID = value, true
		case "event":
			b.Event = value
		case "data":
			data = append(data, value)
		case "retry":
			b.Retry = value
		}
	}
}

// SSEOptions tune DialSSE.
type SSEOptions struct {
	Token       string      // sent as "Authorization: Bearer TOKEN"
	LastEventID string      // sent as Last-Event-ID: resume after this seq
	Header      http.Header // added to the request
	HTTPClient  *http.Client
}

// DialSSE opens a stream of rooms at url (the /v1/sse endpoint; rooms are
// added as room= parameters). A refused stream is an *HTTPError. The caller
// closes the response body.
func DialSSE(ctx context.Context, rawURL string, rooms []string, o SSEOptions) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("sse url %q: %w", rawURL, err)
	}
	q := u.Query()
	for _, r := range rooms {
		q.Add("room", r)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range o.Header {
		req.Header[k] = v
	}
	if o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+o.Token)
	}
	req.Header.Set("Accept", "text/event-stream")
	if o.LastEventID != "" {
		req.Header.Set("Last-Event-ID", o.LastEventID)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, ReadHTTPError(resp.StatusCode, resp.Body)
	}
	return resp, nil
}
