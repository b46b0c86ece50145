package webexpolicy

import (
	"encoding/base64"
	"testing"

	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// FuzzIDKey feeds arbitrary ids: a key is either a lower-case UUID or the
// id itself, marked; and a bare UUID and its base64 PEOPLE id agree.
func FuzzIDKey(f *testing.F) {
	f.Add("Y2lzY29zcGFyazovL3VzL1BFT1BMRS8zY2RkNDA1OS05MjU4LTQ3N2QtYjQ5NC1jMTMzYWMyY2ZhZDU")
	f.Add("3cdd4059-9258-477d-b494-c133ac2cfad5")
	f.Add("OTZhYmMyYWEtM2RjYy0xMWU1LWExNTItZmUzNDgxOWNkYzlh")
	f.Add("Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL1JPT00vODZhMWRhYTAtMTFkMC0xMWYxLWJiM2MtMjc4M2NhYTZlZjQy")
	f.Add("====")
	f.Fuzz(func(t *testing.T, id string) {
		for _, k := range []string{personKey(id), orgKey(id)} {
			if _, uuid, ok := webexapi.ParseID(k); k != "id:"+id && (!ok || uuid != k) {
				t.Fatalf("key %q of %q is neither a lower-case UUID nor the id", k, id)
			}
		}
		if _, uuid, ok := webexapi.ParseID(id); ok && uuid == asciiLower(id) {
			encoded := base64.RawURLEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/" + id))
			if personKey(encoded) != personKey(id) {
				t.Fatalf("%q and %q disagree", id, encoded)
			}
		}
	})
}
