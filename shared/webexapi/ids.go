package webexapi

import (
	"encoding/base64"
	"strings"
)

// maxIDLen bounds the ids ParseID decodes.
const maxIDLen = 1024

// ParseID reads a Webex id. Webex ids come in two encodings: the base64
// (either alphabet, padding usually dropped) of
// "ciscospark://<cluster>/<TYPE>/<uuid>", such as TYPE PEOPLE, ROOM or
// ORGANIZATION, and the bare UUID (in mentions from some clients; base64 of
// a bare UUID also appears). Two ids name the same object when their UUIDs
// are equal. ParseID returns the type ("" for a bare UUID) and the
// lower-case UUID; ok is false for anything else.
func ParseID(id string) (typ, uuid string, ok bool) {
	if isUUID(id) {
		return "", strings.ToLower(id), true
	}
	if len(id) > maxIDLen {
		return "", "", false
	}
	raw, ok := decodeID(id)
	if !ok {
		return "", "", false
	}
	if isUUID(raw) {
		return "", strings.ToLower(raw), true
	}
	rest, found := strings.CutPrefix(raw, "ciscospark://")
	if !found {
		return "", "", false
	}
	// <cluster>/<TYPE>/<uuid>; the cluster may hold colons
	// (urn:TEAM:us-west-2_r) but no slash.
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[1] == "" || !isUUID(parts[2]) {
		return "", "", false
	}
	return parts[1], strings.ToLower(parts[2]), true
}

// SameID reports whether two Webex ids name the same object: equal as
// written, or carrying the same UUID (a base64 id and a raw UUID). Empty ids
// are never the same.
func SameID(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	_, ua, oka := ParseID(a)
	_, ub, okb := ParseID(b)
	return oka && okb && ua == ub
}

// decodeID decodes a base64 id in either alphabet, with or without
// padding; only canonical encodings are accepted.
func decodeID(id string) (string, bool) {
	s := strings.TrimRight(id, "=")
	if s == "" {
		return "", false
	}
	if b, err := base64.RawURLEncoding.Strict().DecodeString(s); err == nil {
		return string(b), true
	}
	if b, err := base64.RawStdEncoding.Strict().DecodeString(s); err == nil {
		return string(b), true
	}
	return "", false
}

// isUUID tells whether s is a UUID in its text form (8-4-4-4-12 hex digits).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
