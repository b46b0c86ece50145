package provider

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/webhookguard/webhookguard/shared/verify"
)

// Qiscus is the Qiscus Chat SDK webhook (QISCUS-SDK-SIGNATURE).
var Qiscus = register(Provider{
	Name:             "qiscus",
	FunctionID:       "QiscusFunction",
	SignatureHeaders: []string{verify.HeaderQiscus},
	NewVerifier:      func(k ...verify.Key) (verify.Verifier, error) { return verify.NewQiscus(k...) },
	Sign: func(secret []byte, _, _ string, body []byte) (http.Header, error) {
		return http.Header{verify.HeaderQiscus: {verify.SignQiscus(secret, body)}}, nil
	},
	EventType: qiscusEventType,
	DedupKey:  qiscusDedupKey,
	Sample:    Sample{ContentType: "application/json", Body: []byte(`{"type":"post_comment_mobile","payload":{"from":{"id":140220,"email":"guest@example.com","name":"Zoë 👋"},"room":{"id":"1234","type":"single","name":"support"},"message":{"id":88201,"type":"text","text":"Halo, apa kabar?"}}}`)},
})

func qiscusEventType(_ string, body []byte) string {
	var e struct{ Type string }
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Type
}

// qiscusDedupKey is the type and the message id (payload.message.id_str,
// else id), else the client's unique_temp_id (Omnichannel webhooks carry
// id 0), else a hash of the body.
func qiscusDedupKey(_ string, body []byte) string {
	var e struct {
		Type    string `json:"type"`
		Payload struct {
			Message struct {
				ID           json.RawMessage `json:"id"`
				IDStr        string          `json:"id_str"`
				UniqueTempID string          `json:"unique_temp_id"`
			} `json:"message"`
		} `json:"payload"`
	}
	if json.Unmarshal(body, &e) != nil {
		return bodyHash(body)
	}
	m := e.Payload.Message
	id := m.IDStr
	if id == "" {
		id = strings.Trim(string(m.ID), `"`)
	}
	if id == "" || id == "0" || id == "null" {
		id = m.UniqueTempID
	}
	if id == "" {
		return bodyHash(body)
	}
	return dedupKey(e.Type, id)
}
