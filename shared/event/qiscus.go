package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Kinds of Qiscus events (Qiscus.Type).
const (
	// QiscusPostCommentMobile is a message a client posted.
	QiscusPostCommentMobile = "post_comment_mobile"
	// QiscusPostCommentREST is a message posted through the Server API,
	// such as your bot's own replies.
	QiscusPostCommentREST = "post_comment_rest"
)

// Qiscus is a Qiscus Chat SDK webhook: its type and payload. Omnichannel's
// bot webhook adds AppCode and Channel.
type Qiscus struct {
	// Type is the event type: QiscusPostCommentMobile or
	// QiscusPostCommentREST.
	Type    string        `json:"type"`
	Payload QiscusPayload `json:"payload"`
	// AppCode and Channel are set by Qiscus Omnichannel.
	AppCode string         `json:"app_code,omitempty"`
	Channel *QiscusChannel `json:"channel,omitempty"`
}

// QiscusPayload is who posted which message in which room.
type QiscusPayload struct {
	From    QiscusUser    `json:"from"`
	Room    QiscusRoom    `json:"room"`
	Message QiscusMessage `json:"message"`
}

// QiscusUser is the message's sender.
type QiscusUser struct {
	// ID is the user's numeric id, exactly as sent (id_str when present).
	ID ID `json:"id"`
	// Email is the Qiscus user id, which need not be an e-mail address (a
	// WhatsApp number, a name). Compare it with your bot's user id to
	// ignore the bot's own messages.
	Email     string `json:"email"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url,omitempty"`
}

// UnmarshalJSON prefers id_str to id.
func (u *QiscusUser) UnmarshalJSON(b []byte) error {
	type plain QiscusUser
	var v struct {
		plain
		IDStr string `json:"id_str"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*u = QiscusUser(v.plain)
	prefer(&u.ID, v.IDStr)
	return nil
}

// QiscusRoom is the room the message was posted in.
type QiscusRoom struct {
	ID              ID     `json:"id"`
	Name            string `json:"name"`
	Type            string `json:"type"` // "single", "group" or "channel"
	IsPublicChannel bool   `json:"is_public_channel"`
	TopicID         ID     `json:"topic_id,omitempty"`
	RoomAvatar      string `json:"room_avatar,omitempty"`
	// Options is the room's options as sent: usually a JSON string that
	// itself holds a JSON object.
	Options json.RawMessage `json:"options,omitempty"`
	// Participants lists the members (omitted for public channels).
	Participants []QiscusParticipant `json:"participants,omitempty"`
}

// UnmarshalJSON prefers id_str and topic_id_str to id and topic_id.
func (r *QiscusRoom) UnmarshalJSON(b []byte) error {
	type plain QiscusRoom
	var v struct {
		plain
		IDStr      string `json:"id_str"`
		TopicIDStr string `json:"topic_id_str"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = QiscusRoom(v.plain)
	prefer(&r.ID, v.IDStr)
	prefer(&r.TopicID, v.TopicIDStr)
	return nil
}

// QiscusParticipant is a room member.
type QiscusParticipant struct {
	ID        ID     `json:"id"`
	Email     string `json:"email"`
	Username  string `json:"username,omitempty"`
	AvatarURL string `json:"avatar_url,omitempty"`
	Active    bool   `json:"active,omitempty"`
}

// UnmarshalJSON prefers id_str to id.
func (p *QiscusParticipant) UnmarshalJSON(b []byte) error {
	type plain QiscusParticipant
	var v struct {
		plain
		IDStr string `json:"id_str"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = QiscusParticipant(v.plain)
	prefer(&p.ID, v.IDStr)
	return nil
}

// QiscusMessage is the posted message.
type QiscusMessage struct {
	// ID is the message id (id_str when present). Omnichannel may send 0;
	// UniqueTempID, the client's own id, then tells messages apart.
	ID           ID     `json:"id"`
	UniqueTempID string `json:"unique_temp_id,omitempty"`
	// Type is "text", "buttons", "file_attachment", "custom", ...; Payload
	// holds the type's own fields as sent.
	Type    string          `json:"type"`
	Text    string          `json:"text"`
	Payload json.RawMessage `json:"payload,omitempty"`
	Extras  json.RawMessage `json:"extras,omitempty"`
	// CommentBeforeID is the previous message in the room.
	CommentBeforeID ID `json:"comment_before_id,omitempty"`
	// CreatedAt (microseconds) and Timestamp (seconds) are when the
	// message was posted.
	CreatedAt time.Time `json:"created_at,omitzero"`
	Timestamp time.Time `json:"timestamp,omitzero"`
	// UnixTimestamp is in seconds. UnixNanoTimestamp is in nanoseconds
	// from the Chat SDK but in milliseconds from Omnichannel; it exceeds
	// what a float64 holds exactly, and is kept as an integer.
	UnixTimestamp      Int  `json:"unix_timestamp,omitempty"`
	UnixNanoTimestamp  Int  `json:"unix_nano_timestamp,omitempty"`
	DisableLinkPreview bool `json:"disable_link_preview,omitempty"`
}

// UnmarshalJSON prefers id_str and comment_before_id_str to id and
// comment_before_id.
func (m *QiscusMessage) UnmarshalJSON(b []byte) error {
	type plain QiscusMessage
	var v struct {
		plain
		IDStr              string `json:"id_str"`
		CommentBeforeIDStr string `json:"comment_before_id_str"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = QiscusMessage(v.plain)
	prefer(&m.ID, v.IDStr)
	prefer(&m.CommentBeforeID, v.CommentBeforeIDStr)
	return nil
}

// Time is when the message was posted: CreatedAt, else Timestamp, else
// UnixTimestamp; zero when the event does not say.
func (m *QiscusMessage) Time() time.Time {
	switch {
	case !m.CreatedAt.IsZero():
		return m.CreatedAt
	case !m.Timestamp.IsZero():
		return m.Timestamp
	case m.UnixTimestamp > 0:
		return time.Unix(int64(m.UnixTimestamp), 0).UTC()
	}
	return time.Time{}
}

// QiscusChannel is the Omnichannel channel a message came through.
type QiscusChannel struct {
	ID     ID     `json:"id"`
	Name   string `json:"name"`
	Source string `json:"source"` // "wa", "line", "fb", ...
}

// DecodeQiscus decodes a Qiscus webhook body. It fails with ErrUndecodable
// when the body is not a JSON object of that shape.
func DecodeQiscus(body []byte) (*Qiscus, error) {
	if !isObject(body) {
		return nil, undecodable(ProviderQiscus, errors.New("not a JSON object"))
	}
	var q Qiscus
	if err := json.Unmarshal(body, &q); err != nil {
		return nil, undecodable(ProviderQiscus, err)
	}
	return &q, nil
}

// ID is an identifier sent as a JSON number or a JSON string, kept exactly
// as written: Qiscus ids exceed 2^53, past what a float64 holds, and some
// Qiscus products send them as strings. null is "".
type ID string

// UnmarshalJSON reads a number or a string.
func (id *ID) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
	case isNumber(b):
		*id = ID(b)
	default:
		return fmt.Errorf("event: id %.20s is neither a number nor a string", b)
	}
	return nil
}

// String returns the id.
func (id ID) String() string { return string(id) }

// prefer sets id to s when s, the *_str twin of a numeric id, is present.
func prefer(id *ID, s string) {
	if s != "" {
		*id = ID(s)
	}
}

// Int is a whole number sent as a JSON number or a JSON string; null is 0.
type Int int64

// UnmarshalJSON reads a number or a string holding one.
func (n *Int) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("event: %.30q is not a whole number", s)
	}
	*n = Int(v)
	return nil
}

// isNumber reports whether b is a JSON number.
func isNumber(b []byte) bool {
	if len(b) == 0 || !(b[0] == '-' || '0' <= b[0] && b[0] <= '9') {
		return false
	}
	var n json.Number
	return json.Unmarshal(b, &n) == nil
}
