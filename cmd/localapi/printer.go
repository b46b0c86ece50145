package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/queue"
)

// printer shows on screen what reaches the queue, one event at a time.
type printer struct {
	mu        sync.Mutex
	out       io.Writer
	envelopes bool // the whole envelope, indented, after the summary line
}

// printf writes one line (or block) without interleaving with others.
func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format, args...)
}

// queued shows an envelope SQS accepted. The caller holds p.mu.
func (p *printer) queued(body string) { p.event("QUEUED", body, "") }

// event shows an envelope a destination accepted, after what, with a note
// at the end of the line. The caller holds p.mu.
func (p *printer) event(what, body, note string) {
	var e envelope.Envelope
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		fmt.Fprintf(p.out, "%s (not an envelope): %s\n", what, preview([]byte(body)))
		return
	}
	raw, _ := e.RawBody()
	line := fmt.Sprintf("%s provider=%s source=%s eventType=%s dedupKey=%s keyStage=%s requestId=%s body(%d bytes)=%s%s\n",
		what, e.Provider, e.Source, e.EventType, e.DedupKey, e.KeyStage, e.RequestID, len(raw), preview(raw), note)
	if p.envelopes {
		var indented bytes.Buffer
		if json.Indent(&indented, []byte(body), "  ", "  ") == nil {
			line += "  " + indented.String() + "\n"
		}
	}
	io.WriteString(p.out, line)
}

// printingQueue is the functions' SQS client: it sends as the real one does
// and shows each message SQS accepted.
type printingQueue struct {
	queue.Client
	p *printer
}

// SendMessage sends the message, then shows it. The printer is held
// meanwhile, so that a consumer quick to receive the message (the bot)
// cannot print before it: local sends are one at a time.
func (q *printingQueue) SendMessage(ctx context.Context, in *queue.SendMessageInput) (*queue.SendMessageOutput, error) {
	q.p.mu.Lock()
	defer q.p.mu.Unlock()
	out, err := q.Client.SendMessage(ctx, in)
	if err == nil {
		q.p.queued(in.MessageBody)
	}
	return out, err
}

// preview returns the start of a body on one line.
func preview(b []byte) string {
	const max = 160
	s := strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(strings.ToValidUTF8(string(b), "?"))
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
