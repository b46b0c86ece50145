package event

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// Kinds of Webex events (Webex.Kind): resource and event.
const (
	WebexMessageCreated          = "messages.created"
	WebexMessageDeleted          = "messages.deleted"
	WebexAttachmentActionCreated = "attachmentActions.created"
	WebexMembershipCreated       = "memberships.created"
	WebexMembershipDeleted       = "memberships.deleted"
	WebexRoomCreated             = "rooms.created"
	WebexRoomUpdated             = "rooms.updated"
)

// Webex is a Webex webhook: the webhook's own fields and the event's data.
// A Webex webhook carries ids, not content: read a message's text with GET
// /v1/messages/{Data.ID}, a card submission's inputs with GET
// /v1/attachment/actions/{Data.ID}.
type Webex struct {
	// ID, Name, TargetURL, Resource, Event, Filter, OrgID, CreatedBy,
	// AppID, OwnedBy, Status and Created describe the webhook that fired
	// (Created is when the webhook was made, not the event).
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	TargetURL string    `json:"targetUrl"`
	Resource  string    `json:"resource"`
	Event     string    `json:"event"`
	Filter    string    `json:"filter,omitempty"`
	OrgID     string    `json:"orgId"`
	CreatedBy string    `json:"createdBy"`
	AppID     string    `json:"appId"`
	OwnedBy   string    `json:"ownedBy"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
	// ActorID is the person who caused the event (for a membership, the
	// person who added or removed the member).
	ActorID string `json:"actorId"`
	// Data is the object the event is about.
	Data WebexData `json:"data"`
}

// WebexData is the object a Webex event is about: a message, a membership,
// a room or a card submission (attachment action). Fields a resource does
// not have are empty; Raw holds the object as sent.
type WebexData struct {
	// ID is the message, membership, room or attachment action id.
	ID string `json:"id"`
	// RoomID and RoomType ("direct" or "group") name the space.
	RoomID   string `json:"roomId"`
	RoomType string `json:"roomType"`
	// PersonID and PersonEmail name the message's author, the member
	// (memberships) or the person who submitted a card.
	PersonID          string `json:"personId"`
	PersonEmail       string `json:"personEmail"`
	PersonDisplayName string `json:"personDisplayName,omitempty"`
	PersonOrgID       string `json:"personOrgId,omitempty"`
	// MentionedPeople lists the person ids a message mentions,
	// MentionedGroups the groups ("all").
	MentionedPeople []string `json:"mentionedPeople,omitempty"`
	MentionedGroups []string `json:"mentionedGroups,omitempty"`
	// Files lists a message's file URLs (GET them with the bot token).
	Files []string `json:"files,omitempty"`
	// ParentID is the thread's first message, for a reply in a thread.
	ParentID string `json:"parentId,omitempty"`
	// MessageID is the card's message, for an attachment action.
	MessageID string `json:"messageId,omitempty"`
	// Type is an attachment action's type ("submit") or a room's type.
	Type string `json:"type,omitempty"`
	// Membership flags.
	IsModerator  bool `json:"isModerator,omitempty"`
	IsMonitor    bool `json:"isMonitor,omitempty"`
	IsRoomHidden bool `json:"isRoomHidden,omitempty"`
	// Room fields.
	IsLocked     bool      `json:"isLocked,omitempty"`
	CreatorID    string    `json:"creatorId,omitempty"`
	OwnerID      string    `json:"ownerId,omitempty"`
	LastActivity time.Time `json:"lastActivity,omitzero"`
	// Created is when the object was made: for "created" events, the
	// event's time.
	Created time.Time `json:"created"`
	// Raw is the data object as sent, for fields not listed here.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the data object and keeps it in Raw.
func (d *WebexData) UnmarshalJSON(b []byte) error {
	type plain WebexData
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*d = WebexData(p)
	if string(b) != "null" {
		d.Raw = append(json.RawMessage(nil), b...)
	}
	return nil
}

// Kind is the event's resource and event, such as "messages.created".
func (w *Webex) Kind() string { return w.Resource + "." + w.Event }

// Mentions reports whether the message mentions the person with id (either
// form of a Webex id: see SameWebexID).
func (d *WebexData) Mentions(id string) bool {
	for _, m := range d.MentionedPeople {
		if SameWebexID(m, id) {
			return true
		}
	}
	return false
}

// DecodeWebex decodes a Webex webhook body. It fails with ErrUndecodable
// when the body is not a JSON object of that shape.
func DecodeWebex(body []byte) (*Webex, error) {
	if !isObject(body) {
		return nil, undecodable(ProviderWebex, errors.New("not a JSON object"))
	}
	var w Webex
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, undecodable(ProviderWebex, err)
	}
	return &w, nil
}

// WebexUUID returns the UUID a Webex id names (see webexapi.ParseID): ids
// are the unpadded base64 of a URI such as ciscospark://us/PEOPLE/<uuid>
// (or of a bare UUID), and some clients send the raw UUID itself (in a
// mention's data-object-id). An id it cannot read is returned as is. The
// UUID is lower case.
func WebexUUID(id string) string {
	id = strings.TrimSpace(id)
	if _, uuid, ok := webexapi.ParseID(id); ok {
		return uuid
	}
	return id
}

// SameWebexID reports whether two Webex ids name the same object, comparing
// the UUIDs they carry when they differ as written (a base64 id and a raw
// UUID). Empty ids are never the same.
func SameWebexID(a, b string) bool {
	return webexapi.SameID(strings.TrimSpace(a), strings.TrimSpace(b))
}
