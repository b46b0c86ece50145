package webexapi_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/shared/webexapi"
)

func TestParseID(t *testing.T) {
	t.Parallel()
	const uuid = "3cdd4059-9258-477d-b494-c133ac2cfad5"
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name     string
		id       string
		wantType string
		wantUUID string
		wantOK   bool
	}{
		{"reads a person id", b64("ciscospark://us/PEOPLE/" + uuid), "PEOPLE", uuid, true},
		{"reads a room id on a TEAM cluster", b64("ciscospark://urn:TEAM:us-west-2_r/ROOM/" + uuid), "ROOM", uuid, true},
		{"reads a padded id in the standard alphabet", base64.StdEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/" + uuid)), "PEOPLE", uuid, true},
		{"reads a bare UUID, lower-casing it", strings.ToUpper(uuid), "", uuid, true},
		{"reads the base64 of a bare UUID", b64(uuid), "", uuid, true},
		{"refuses another scheme", b64("https://us/PEOPLE/" + uuid), "", "", false},
		{"refuses a path with another shape", b64("ciscospark://us/PEOPLE/x/" + uuid), "", "", false},
		{"refuses what is not base64", "not an id!", "", "", false},
		{"refuses an empty id", "", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			typ, got, ok := webexapi.ParseID(tc.id)
			if typ != tc.wantType || got != tc.wantUUID || ok != tc.wantOK {
				t.Fatalf("ParseID(%q) = %q, %q, %v; want %q, %q, %v", tc.id, typ, got, ok, tc.wantType, tc.wantUUID, tc.wantOK)
			}
		})
	}
}

func TestSameID(t *testing.T) {
	t.Parallel()
	const uuid = "3cdd4059-9258-477d-b494-c133ac2cfad5"
	person := base64.RawURLEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/" + uuid))
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"the base64 id and the raw UUID are the same person", person, uuid, true},
		{"equal ids are the same", "x", "x", true},
		{"empty ids are never the same", "", "", false},
		{"another UUID is another person", person, "96abc2aa-3dcc-11e5-a152-fe34819cdc9a", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := webexapi.SameID(tc.a, tc.b); got != tc.want {
				t.Fatalf("SameID = %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzParseID feeds arbitrary ids: a result is a lower-case UUID, and a
// bare UUID agrees with its base64 PEOPLE id.
func FuzzParseID(f *testing.F) {
	f.Add("Y2lzY29zcGFyazovL3VzL1BFT1BMRS8zY2RkNDA1OS05MjU4LTQ3N2QtYjQ5NC1jMTMzYWMyY2ZhZDU")
	f.Add("3cdd4059-9258-477d-b494-c133ac2cfad5")
	f.Add("====")
	f.Fuzz(func(t *testing.T, id string) {
		_, uuid, ok := webexapi.ParseID(id)
		if !ok {
			return
		}
		if _, again, ok2 := webexapi.ParseID(uuid); !ok2 || again != uuid || strings.ToLower(uuid) != uuid {
			t.Fatalf("ParseID(%q) gave %q, which is not a lower-case UUID", id, uuid)
		}
		if !webexapi.SameID(base64.RawURLEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/"+uuid)), uuid) {
			t.Fatalf("%q and its PEOPLE id disagree", uuid)
		}
	})
}
